"""Interpretation steps that cannot stop a run: a step that fails is left out, with the reason.

Once the LCIA has succeeded, its results are always written. A step of the interpretation that
raises (a sensitivity the study cannot support, a background Monte Carlo cannot sample, memory)
gives an empty table, a warning in the log, and a row of the run's notes, which the workbook
("Interpretation notes") and the model card show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd

logger = logging.getLogger(__name__)

NOTE_COLUMNS = ["step", "subject", "note"]

T = TypeVar("T")


@dataclass
class RunNotes:
    """What the interpretation left out or narrowed, and why: (step, subject, note) rows."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, step: str, subject: str, note: str) -> None:
        self.rows.append((step, subject, note))

    def attempt(self, step: str, compute: Callable[[], pd.DataFrame], columns: Sequence[str] = ()) -> pd.DataFrame:
        """``compute()``, or an empty table with ``columns`` if it raises (the reason is noted and logged)."""
        found = self.attempt_any(step, compute)
        return pd.DataFrame(columns=list(columns)) if found is None else found

    def attempt_any(self, step: str, compute: Callable[[], T]) -> T | None:
        """``compute()``, or None if it raises (the reason is noted and logged)."""
        try:
            return compute()
        except MemoryError:
            reason = "out of memory (try fewer --iterations)"
        except Exception as error:  # any failure of one step must leave the rest of the run written
            reason = f"{type(error).__name__}: {error}".replace("\n", " ")
            logger.debug("interpretation step %r failed", step, exc_info=True)
        logger.warning("%s: left out of the results: %s", step, reason)
        self.add(step, "(whole step)", f"left out: {reason}")
        return None

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=NOTE_COLUMNS)

    def lines(self) -> list[str]:
        return [f"{step}: {subject}: {note}" for step, subject, note in self.rows]


def tornado_notes(notes: RunNotes, tornado: pd.DataFrame) -> None:
    """The tornado's per-parameter notes (narrowed ends, split or skipped parameters), once each."""
    if "note" not in tornado:
        return
    for parameter, note in tornado[["parameter", "note"]].drop_duplicates().itertuples(index=False):
        if isinstance(note, str) and note:
            notes.add("sensitivity", parameter, note)
            logger.warning("sensitivity: %s: %s", parameter, note)
