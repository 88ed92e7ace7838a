"""Setup on an ecoinvent background: the mapping checked against the user's database, the hardware relinked.

Every row of the mapping must name exactly one activity of the database (else one error lists every
row that fails, with the closest candidates), and every catalog region must reach an electricity
market along its location chain; then ``mllca hardware on <database>`` is written. The user's
database is only read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import ProjectStateError
from ..scope.linking import missing_database
from .hardware import hardware_database, is_current, write_relinked_hardware
from .links import check_mapping
from .spec import parse_background


@dataclass(frozen=True)
class EcoinventSetup:
    database: str
    hardware_database: str
    hardware: str  # "written" or "unchanged"
    checked: str  # what the check of the mapping found (kept in the relinked database's metadata)

    def summary(self) -> str:
        return f"{self.database!r}: {self.checked}; {self.hardware_database!r} {self.hardware}"


def _checked(table: pd.DataFrame) -> str:
    regional = table[table["gateway"] == "electricity"]
    steps = regional["location step"].str.split(" ").str[0].value_counts()
    counted = ", ".join(f"{count} {step}" for step, count in steps.items())
    return f"{table['gateway'].nunique()} gateways resolved; electricity of {len(regional)} catalog regions ({counted})"


def _check_database(database: str) -> None:
    import bw2data as bd

    from ..inventory.biosphere import BIOSPHERE

    if database not in bd.databases:
        raise ProjectStateError(f"background: {missing_database(database)}; import ecoinvent first, e.g. "
                                f"bw2io.import_ecoinvent_release(version, system_model, biosphere_name={BIOSPHERE!r}), "
                                "or name it with --background-database")
    depends = set(bd.databases[database].get("depends") or ())
    if depends and BIOSPHERE not in depends:
        raise ProjectStateError(
            f"background database {database!r} is linked to {', '.join(sorted(depends))}, not to {BIOSPHERE!r}, "
            f"whose flows bw_mllca's methods characterize: import it with biosphere_name={BIOSPHERE!r} "
            "(bw2io.import_ecoinvent_release) so one biosphere serves the foreground and the background")


def setup_ecoinvent(background: str, databases: Sequence[str] = ()) -> list[EcoinventSetup]:
    """Check the mapping of ``background`` ("ecoinvent-3.10-cutoff") in each of ``databases``
    (default: the database of that name) and write their relinked hardware databases."""
    import bw2data as bd

    from ..catalog import load_catalog

    found = parse_background(background)
    if found is None:
        raise ValueError(f"background {background!r} is the public data: nothing to relink")
    version, system_model = found
    regions = sorted(load_catalog().regions)
    done = []
    for database in databases or (background,):
        _check_database(database)
        name = hardware_database(database)
        if is_current(database, version, system_model):  # checked when written; nothing changed since
            done.append(EcoinventSetup(database, name, "unchanged", bd.databases[name].get("mllca_checked", "")))
            continue
        checked = _checked(check_mapping(database, version, system_model, regions))
        _, state, _ = write_relinked_hardware(database, version, system_model, mllca_checked=checked)
        done.append(EcoinventSetup(database, name, state, checked))
    return done
