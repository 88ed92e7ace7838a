"""``setup_project``: a Brightway project ready for bw_mllca, offline and idempotent."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import bw2data as bd

from .brightway_feedback import brightway_output_logged
from .impact.methods import (
    DEFAULT_FAMILIES,
    bundled_methods,
    project_methods,
    register_methods,
    required_flow_codes,
)
from .inventory.background import BACKGROUND, write_background
from .inventory.background import required_flow_codes as background_flow_codes
from .inventory.biosphere import ensure_biosphere, ensure_own_biosphere


logger = logging.getLogger(__name__)
STAMP_FILE = "bw_mllca_setup.json"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _fingerprint(families: tuple[str, ...], inventories: Path | None) -> str:
    """What a set-up depends on: package versions, the method families and every data file's size
    and modification time (inventories/ and methods/). Equal fingerprints: nothing to redo."""
    from .data_files import inventories_dir, methods_dir

    parts = [_version("bw_mllca"), _version("bw2io"), _version("bw2data"), ",".join(families)]
    for folder in (Path(inventories) if inventories else inventories_dir(), methods_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                parts.append(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _stamp_path() -> Path:
    return Path(bd.projects.dir) / STAMP_FILE


def _stamped(fingerprint: str) -> dict | None:
    """The stamp of the last complete set-up, if it matches and what it wrote is still there."""
    try:
        stamp = json.loads(_stamp_path().read_text())
    except (OSError, ValueError):
        return None
    if stamp.get("fingerprint") != fingerprint:
        return None
    if not all(name in bd.databases for name in stamp.get("databases", [])):
        return None
    if not all(tuple(method) in bd.methods for method in stamp.get("methods", [])):
        return None
    # Still complete? (a later write may have been killed half way, or a datapackage damaged)
    from . import integrity

    for name in stamp.get("databases", []):
        store = bd.Database(name)
        if integrity.rows_problem(name) or integrity.datapackage_problem(store.dirpath_processed() / store.filename_processed()):
            return None
    for method in map(tuple, stamp.get("methods", [])):
        if integrity.method_problem(method, count_factors=False) or integrity.datapackage_problem(bd.Method(method).filepath_processed()):
            return None
    return stamp


@dataclass
class SetupReport:
    project: str
    biosphere: str  # "created", "ours" or "user's"
    background: str  # "written" or "unchanged"
    methods_written: int = 0
    methods_unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ecoinvent: list[str] = field(default_factory=list)  # an ecoinvent background: what setup checked and wrote

    @property
    def wrote_anything(self) -> bool:
        return self.biosphere == "created" or self.background == "written" or self.methods_written > 0

    def summary(self) -> str:
        lines = [
            f"project {self.project!r}: biosphere3 {self.biosphere}, {BACKGROUND!r} {self.background}, "
            f"methods written {self.methods_written}, unchanged {self.methods_unchanged} "
            f"({self.seconds:.1f} s)"
        ]
        lines += [f"conflict: {text}" for text in self.conflicts]
        lines += [f"background {text}" for text in self.ecoinvent]
        return "\n".join(lines)


@brightway_output_logged()  # bw2data's bars and bw2io's lines go to the log
def setup_project(
    name: str,
    families: tuple[str, ...] = DEFAULT_FAMILIES,
    inventories: Path | None = None,
    background: str | None = None,
    background_databases: Sequence[str] = (),
) -> SetupReport:
    """Make project ``name`` current and give it biosphere3, the LCIA methods and the background.

    Works offline (everything comes from bw2io's bundled data and inventories/). A second call
    writes nothing. A biosphere3, method or database of the same name that bw_mllca did not write
    is left as it is: a missing flow or a clashing database raises SetupConflict, a differing method
    is reported in ``conflicts``.

    ``background`` ("ecoinvent-3.10-cutoff"): also check the ecoinvent mapping against the project's
    database of that name (or each of ``background_databases``: premise scenario databases) and write
    its relinked hardware database (``bw_mllca.ecoinvent.setup``); a missing or ambiguous mapped
    activity raises LinkError listing the closest candidates.
    """
    from .locking import project_lock

    # The lock comes before the project is created or opened: two set-ups of a new project at once
    # must not both create it (or both write biosphere3 into it).
    with project_lock(name):
        report = _setup_project(name, families, inventories)
        if background is not None and background != BACKGROUND:
            from .ecoinvent.setup import setup_ecoinvent

            started = time.perf_counter()
            report.ecoinvent = [done.summary() for done in setup_ecoinvent(background, background_databases)]
            report.seconds += time.perf_counter() - started
        return report


def _setup_project(name: str, families: tuple[str, ...], inventories: Path | None) -> SetupReport:
    from . import integrity
    from .faults import kill_point

    started = time.perf_counter()
    bd.projects.set_current(name)
    integrity.ensure_indices()
    fingerprint = _fingerprint(tuple(families), inventories)
    stamp = _stamped(fingerprint)
    if stamp is not None:  # set up before from the same data and versions, and still there
        return SetupReport(project=name, biosphere=stamp["biosphere"], background="unchanged",
                           methods_unchanged=len(stamp["methods"]), conflicts=stamp.get("conflicts", []),
                           seconds=time.perf_counter() - started)
    own_methods = project_methods()
    # Only the flows our background and own methods use must exist; a bundled factor whose flow an
    # older user biosphere3 lacks is reported by register_methods instead.
    biosphere = ensure_biosphere(required_flow_codes(own_methods) | background_flow_codes(inventories))
    tables = bundled_methods(families) + own_methods
    kill_point("setup:biosphere")
    ensure_own_biosphere()
    background = write_background(inventories)
    kill_point("setup:background")
    methods = register_methods(tables)
    kill_point("setup:methods")
    from .inventory.biosphere import BIOSPHERE

    stamp = {"fingerprint": fingerprint, "biosphere": "ours" if biosphere == "created" else biosphere,
             "databases": [BIOSPHERE, BACKGROUND], "methods": [list(t.name) for t in tables],
             "conflicts": methods.conflicts}
    try:
        partial = _stamp_path().with_suffix(".partial")
        partial.write_text(json.dumps(stamp))
        partial.replace(_stamp_path())  # atomic: a stamp is whole or absent
    except OSError as error:  # a read-only project: check fully next time
        logger.warning("could not write the set-up stamp %s: %s", _stamp_path(), error)
    return SetupReport(
        project=name,
        biosphere=biosphere,
        background=background,
        methods_written=len(methods.written),
        methods_unchanged=len(methods.unchanged),
        conflicts=methods.conflicts,
        seconds=time.perf_counter() - started,
    )
