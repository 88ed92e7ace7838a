"""Per-job footprints for a whole cluster: JSC, JSC^e, ASC and ASC^e of every job in a scheduler's
accounting (``run_jobs``, ``attribute_jobs``), from unit impact vectors computed once with bw2calc.

Names are imported lazily, so that the command line parser stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PUBLIC = {
    "AccountingError": "bw_mllca.jobs.accounting",
    "read_accounting": "bw_mllca.jobs.accounting",
    "Cluster": "bw_mllca.jobs.cluster",
    "JobAttribution": "bw_mllca.jobs.pipeline",
    "attribute_jobs": "bw_mllca.jobs.pipeline",
    "run_jobs": "bw_mllca.jobs.pipeline",
    "write_job_outputs": "bw_mllca.jobs.outputs",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'bw_mllca.jobs' has no attribute {name!r}")
