"""The Dask engine: a stage's partition functions as tasks on a `dask.distributed` cluster.

`engine: {type: dask, address: tcp://host:8786}` connects to a running scheduler (started with
`dask scheduler`, on Kubernetes, or by dask-jobqueue); `engine: {type: dask, local_cluster:
{n_workers: 2, memory_limit: 4GiB}}` starts worker processes on this machine, bound to
127.0.0.1, for the build. Tasks receive paths, not data: each reads its input partition from
and writes its output partition to the shared `data/<recipe>/` folder, and returns a summary.
dask is imported here only.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from builder.engine.base import Engine
from builder.errors import FlywheelError


class DaskEngine(Engine):
    """Submits every partition function as a task and gathers the summaries in order."""

    name = "dask"

    def __init__(self, config, origin: str = "recipe"):
        super().__init__(config)
        import dask
        from distributed import Client, LocalCluster

        # Every task is pure I/O on its own files, so the defaults are fine; only the noise goes.
        dask.config.set({"distributed.admin.tick.limit": "60s", "logging.distributed": "error"})
        self.cluster = None
        try:
            if config.local_cluster is not None:
                cluster = config.local_cluster
                self.cluster = LocalCluster(
                    n_workers=cluster.n_workers, threads_per_worker=cluster.threads_per_worker,
                    memory_limit=cluster.memory_limit, host=cluster.host, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR,
                    # no dashboard; its HTTP server (health, metrics) on a free port, not 8787,
                    # so that clusters started side by side do not warn about the port
                    scheduler_kwargs={"dashboard_address": f"{cluster.host}:0"},
                    local_directory=config.local_directory)
                self.client = Client(self.cluster, set_as_default=False)
            else:
                # The connect timeout is dask's `distributed.comm.timeouts.connect` (30 s).
                self.client = Client(config.address, set_as_default=False)
        except (OSError, TimeoutError, RuntimeError) as error:
            self.close()
            reason = " ".join(str(error).split()).rstrip(".")
            if config.address is not None:
                raise FlywheelError(
                    f"{origin}: engine.address: cannot reach the Dask scheduler at "
                    f"{config.address} ({reason}). Expected the address of a running scheduler "
                    "(`dask scheduler` prints it) that this machine can reach, or "
                    "engine.local_cluster to start workers here.") from error
            raise FlywheelError(
                f"{origin}: engine.local_cluster: cannot start a local Dask cluster "
                f"({reason}). Expected {config.local_cluster.n_workers} worker processes with "
                f"{config.local_cluster.memory_limit} each to fit on this machine.") from error

    def map(self, fn, items, *args, label="", threads=True):
        # `threads=False` holds on workers with one thread each (`threads_per_worker: 1`, the
        # default); workers with more may run two such tasks in one process.
        from distributed import as_completed

        items = list(items)
        if not items:
            return []
        # A fresh token per call: a key must never name a finished task of an earlier call
        # that the scheduler may still hold (its result would be returned instead).
        token = uuid.uuid4().hex
        futures = [self.client.submit(fn, item, *args, pure=False, priority=-i,
                                      key=f"{fn.__name__}-{i}-{token}")
                   for i, item in enumerate(items)]
        position = {future.key: i for i, future in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        completed = as_completed(futures, loop=self.client.loop)
        try:
            for _ in self.track(range(len(futures)), label or fn.__name__):
                future = next(completed)
                results[position[future.key]] = future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results

    @property
    def workers(self) -> dict[str, Any]:
        """The scheduler's view of its workers (address -> info)."""
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
