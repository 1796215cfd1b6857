"""Ingest orchestration: inputs → RawDocuments → Articles → one SQLite transaction per batch → index.

The index is updated only from committed rows (after each batch), so SQLite stays the source of
truth and a crash between the two commits is repaired by the next catch-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial

from ingest.errors import IngestError
from ingest.extract import extract_page
from ingest.model import Failure, RawDocument
from ingest.readers import iter_documents

from .site_templates import ExtractedPage, MarkedPage, apply_site_templates, refresh_dirty_sites
from .store import BatchResult, Extracted, Store

BATCH_SIZE = 200


@dataclass(slots=True)
class IngestOptions:
    fmt: str = "auto"
    site: str | None = None  # forces site_name on every article of the run
    batch_size: int = BATCH_SIZE
    jobs: int = 1  # extraction processes; above 1, a pool of forked workers (archive/parallel.py)
    cluster: str | None = (
        None  # a Dask scheduler's address: read + extract there (archive/cluster.py)
    )


def extract_one(
    doc: RawDocument | Failure, site: str | None = None, boilerplate: frozenset[str] | None = None
) -> Extracted:
    """Extract one document; every failure, expected or not, becomes a recorded Failure."""
    if isinstance(doc, Failure):
        return Extracted(raw=None, failure=doc)
    try:
        extraction = extract_page(doc, boilerplate=boilerplate)
    except IngestError as exc:
        return Extracted(raw=doc, failure=_failure(doc, exc.reason, str(exc)))
    except RecursionError:
        message = f"{doc.origin}: the page is nested too deeply to read."
        return Extracted(raw=doc, failure=_failure(doc, "too_deep", message))
    except Exception as exc:  # an extractor bug must not stop the batch; the reason names it
        message = f"{doc.origin}: extraction failed unexpectedly ({type(exc).__name__}: {exc})."
        return Extracted(raw=doc, failure=_failure(doc, "internal_error", message))
    article = extraction.article
    doc.fields = None  # parsed again from `data` if ever needed: a big record's text, held once
    if site:
        article.site_name = site
    return ExtractedPage(raw=doc, article=article, template_keys=extraction.template_keys)


def _failure(doc: RawDocument, reason: str, message: str) -> Failure:
    """A page that could not be extracted, naming its file (failures are summarized per file)."""
    return Failure(
        doc.origin, reason, message, doc.data, doc.format, doc.container or doc.origin, doc.offset
    )


def extract_with_template(page: MarkedPage) -> Extracted:
    """A text dump extracted again with its site's template, keeping that site's name."""
    return extract_one(page.raw, page.site, page.template)


def extract_marked_here(pages: list[MarkedPage]) -> list[Extracted]:
    """`extract_with_template` over pages in this process (one job, or a cluster run)."""
    return [extract_with_template(page) for page in pages]


def batched(items: Iterable[Extracted], size: int) -> Iterator[list[Extracted]]:
    batch: list[Extracted] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def merge(total: BatchResult, part: BatchResult) -> None:
    total.added += part.added
    total.updated += part.updated
    total.duplicates += part.duplicates
    total.unchanged += part.unchanged
    total.failed += part.failed
    total.folded += part.folded


def ingest(
    store: Store,
    inputs: list[str],
    options: IngestOptions,
    run_id: int,
    *,
    on_item: Callable[[Extracted], None] | None = None,
    after_commit: Callable[[Store, BatchResult], None] | None = None,
    docs: Iterable[RawDocument | Failure] | None = None,
) -> BatchResult:
    """Ingest `inputs` into `store`; returns the totals. Each batch is committed before the next.

    `docs`, when given, replaces reading `inputs` (`ingest --retry-failed` feeds kept bytes)."""
    total = BatchResult()
    pool = None
    extract_marked = extract_marked_here
    if options.cluster and docs is None:  # --cluster: reading and extraction on Dask workers
        from .cluster import extract_on_cluster

        extracted = extract_on_cluster(
            inputs, options.fmt, options.site, extract_one, options.cluster
        )
    else:
        docs = iter_documents(inputs, options.fmt) if docs is None else iter(docs)
        if options.jobs > 1:
            from .parallel import WorkerPool

            pool = WorkerPool(options.jobs, store.path.parent if store.path else None)
            extracted = pool.extract(docs, extract_one, options.site)
            extract_marked = partial(pool.extract_marked, extract_with_template)
        else:
            extracted = (extract_one(doc, options.site) for doc in docs)

    def observed() -> Iterator[Extracted]:
        for item in extracted:
            if on_item:
                on_item(item)
            yield item

    def refresh() -> None:
        changed = refresh_dirty_sites(store, extract_marked, options.site)
        if changed and after_commit:
            after_commit(store, BatchResult())  # re-extracted articles have new seqs to index

    try:
        refresh()  # a run killed after a batch but before its refresh left work behind
        for batch in batched(observed(), options.batch_size):
            # extracted → learned into its sites' templates → marked pages extracted again
            batch, learn = apply_site_templates(store, batch, extract_marked)
            result = store.write_batch(batch, run_id, learn)
            merge(total, result)
            if after_commit:
                after_commit(store, result)
        # once per run, not per batch: the dirty marks and moved lines wait durably in the
        # archive, and one pass over a site's dumps replaces one per batch that moved its template
        refresh()
    finally:
        extracted.close()  # stops reading (and a cluster's tasks) at once, on success as on error
        if pool is not None:
            pool.close()
    return total
