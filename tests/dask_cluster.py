"""A real Dask scheduler and workers on 127.0.0.1, as process groups: for the cluster tests and
`bench/bench_cluster.py`.

The scheduler and the workers are `dask scheduler` / `dask worker` processes, each in its own
session so that a kill reaches the nanny and its worker together; `stop` kills every group and
checks that none is left.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).parent / "dask")


class Cluster:
    """A scheduler and its workers, as process groups on 127.0.0.1."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.address = ""

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [DASK, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            start_new_session=True,  # its own group: a kill reaches the nanny and the worker
        )
        log.close()
        self.procs.append(proc)
        return proc

    def start(self, workers: int) -> None:
        sched_file = self.folder / "scheduler.json"
        self._spawn(
            "scheduler",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(sched_file),
        )
        deadline = time.monotonic() + 120
        while not sched_file.exists() or not sched_file.read_text().strip().endswith("}"):
            if time.monotonic() > deadline:
                raise RuntimeError("the Dask scheduler did not start")
            time.sleep(0.2)
        self.address = json.loads(sched_file.read_text())["address"]
        for _ in range(workers):
            self.add_worker()
        if workers:
            self.wait_for(workers)

    def add_worker(self) -> subprocess.Popen:
        proc = self._spawn(
            f"worker{len(self.workers)}",
            "worker",
            self.address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--no-dashboard",
            "--host",
            "127.0.0.1",
        )
        self.workers.append(proc)
        return proc

    def wait_for(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="60s", set_as_default=False) as client:
            client.wait_for_workers(n, timeout=180)

    def kill(self, proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(proc)
        for proc in self.procs:  # the whole group gone (a nanny's worker included)
            deadline = time.monotonic() + 20
            while True:
                try:
                    os.killpg(proc.pid, 0)
                except ProcessLookupError:
                    break
                if time.monotonic() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    raise RuntimeError(f"process group {proc.pid} outlived its SIGTERM")
                time.sleep(0.1)
