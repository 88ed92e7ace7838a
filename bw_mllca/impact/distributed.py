"""Background draws spread over a ``dask.distributed`` cluster.

Draws are independent: each batch of ``BackgroundModel.chunks`` is one task. The model is sent to
every worker once (scattered, broadcast); a worker factorizes the base block the first time it
needs it and keeps it for its later tasks. The batches and their seeds are the same as in
process, so the result is too.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


def _chunk(model: Any, count: int, seed: int) -> np.ndarray:
    return model.chunk_scores(count, seed)


@contextmanager
def client_for(dask: Any):
    """A ``distributed.Client``: the one given, one connected to an address (str), or one on a new
    local cluster (True: one single-threaded worker process per core), closed afterwards."""
    from distributed import Client, LocalCluster

    if isinstance(dask, Client):
        yield dask
        return
    if isinstance(dask, str):
        with Client(dask) as client:
            yield client
        return
    with LocalCluster(threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def sample_scores(model: Any, n: int, seed: int | None, dask: Any = None) -> np.ndarray:
    """Gateway unit scores of ``n`` seeded draws (n, methods, gateways), here (``dask`` None or
    False) or on a cluster (a Client, an address, or True for a local cluster)."""
    if dask is None or dask is False:
        return model.sample_scores(n, seed)
    out = np.empty((n, model.n_methods, len(model.gateways)))
    plan = model.chunks(n, seed)
    with client_for(dask) as client:
        shared = client.scatter(model, broadcast=True)
        futures = client.map(_chunk, [shared] * len(plan), [c for _, c, _ in plan], [s for _, _, s in plan], pure=False)
        logger.info("%d draws in %d tasks on %s", n, len(plan), client)
        for (start, count, _), future in zip(plan, futures):
            out[start:start + count] = future.result()
    return out
