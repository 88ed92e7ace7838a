"""``setup_project``: a Brightway project ready for bw_mllca, offline and idempotent."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import bw2data as bd

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


@dataclass
class SetupReport:
    project: str
    biosphere: str  # "created", "ours" or "user's"
    background: str  # "written" or "unchanged"
    methods_written: int = 0
    methods_unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)
    seconds: float = 0.0

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
        return "\n".join(lines)


def setup_project(
    name: str,
    families: tuple[str, ...] = DEFAULT_FAMILIES,
    inventories: Path | None = None,
) -> SetupReport:
    """Make project ``name`` current and give it biosphere3, the LCIA methods and the background.

    Works offline (everything comes from bw2io's bundled data and inventories/). A second call
    writes nothing. A biosphere3, method or database of the same name that bw_mllca did not write
    is left as it is: a missing flow or a clashing database raises SetupConflict, a differing method
    is reported in ``conflicts``.
    """
    started = time.perf_counter()
    bd.projects.set_current(name)
    own_methods = project_methods()
    # Only the flows our background and own methods use must exist; a bundled factor whose flow an
    # older user biosphere3 lacks is reported by register_methods instead.
    biosphere = ensure_biosphere(required_flow_codes(own_methods) | background_flow_codes(inventories))
    tables = bundled_methods(families) + own_methods
    ensure_own_biosphere()
    background = write_background(inventories)
    methods = register_methods(tables)
    return SetupReport(
        project=name,
        biosphere=biosphere,
        background=background,
        methods_written=len(methods.written),
        methods_unchanged=len(methods.unchanged),
        conflicts=methods.conflicts,
        seconds=time.perf_counter() - started,
    )
