"""Per-job footprints for a whole cluster: JSC, JSC^e, ASC and ASC^e of every job in a scheduler's
accounting (``run_jobs``, ``attribute_jobs``), from unit impact vectors computed once with bw2calc."""

from .accounting import AccountingError, read_accounting
from .cluster import Cluster
from .pipeline import JobAttribution, attribute_jobs, run_jobs

__all__ = ["AccountingError", "Cluster", "JobAttribution", "attribute_jobs", "read_accounting", "run_jobs"]
