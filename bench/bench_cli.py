"""Wall and CPU time of one CLI command, run as a fresh process many times (issue 8).

    .venv/bin/python bench/bench_cli.py --archive A [--runs 10] [--warmup 2] [-- search music --json]

Wall time on a shared 2-core machine moves with the load, so each run also reports the
process's own CPU time (user + sys, from `os.wait4`) and the 1-minute load average beside
it. Bytecode is written as on a user's machine (PYTHONDONTWRITEBYTECODE is dropped from the
runs' environment, so the warm-up runs leave `.pyc` files behind). With `--python-path DIR`
a variant (say, another typer unpacked in DIR) runs interleaved with the installed code, so
both see the same load. Target: `search ... --json` <= 300 ms
wall at 100k articles.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = ROOT / ".venv" / "bin" / "newsarchive"


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, user+sys seconds) of one run; raises when the command fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.strip()[:400]}")
    return wall, usage.ru_utime + usage.ru_stime


def summary(label: str, samples: list[tuple[float, float]]) -> str:
    walls = [w * 1000 for w, _ in samples]
    cpus = [c * 1000 for _, c in samples]
    return (
        f"{label:<12} wall mean {statistics.mean(walls):6.0f} ms (min {min(walls):.0f}, "
        f"max {max(walls):.0f})   cpu mean {statistics.mean(cpus):6.0f} ms "
        f"(min {min(cpus):.0f})   runs {len(samples)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", required=True, type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--python-path", action="append", default=[], help="variant: prepend DIR to PYTHONPATH"
    )
    parser.add_argument("command", nargs="*", default=["search", "music", "--json"])
    args = parser.parse_args()
    if not args.archive.exists():
        raise SystemExit(f"There is no archive at {args.archive}: ingest one first.")
    argv = [str(EXE), "--archive", str(args.archive), *args.command]
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    variants = {"installed": base}
    for extra in args.python_path:
        env = dict(base)
        env["PYTHONPATH"] = os.pathsep.join([extra, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        variants[Path(extra).name] = env
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    loads = []
    for i in range(args.warmup + args.runs):
        for name, env in variants.items():
            result = run_once(argv, env)
            if i >= args.warmup:
                samples[name].append(result)
        loads.append(os.getloadavg()[0])
    print(f"command: {' '.join(argv[1:])}")
    for name, got in samples.items():
        print(summary(name, got))
    print(f"load average (1 min) during the runs: {min(loads):.2f}-{max(loads):.2f}")


if __name__ == "__main__":
    sys.exit(main())
