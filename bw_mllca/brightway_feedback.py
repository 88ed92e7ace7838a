"""Brightway's own console output (tqdm bars, ``print`` lines) routed to the log.

bw2data draws a tqdm bar for every database it writes and bw2io prints a line per imported
database. A project set-up writes four databases, a build one or two: a page of bars for what is,
to the user, one step. While ``brightway_output_logged`` is active, what Brightway prints becomes
records of the ``bw_mllca.brightway`` logger: printed lines at INFO, progress bars (stderr) at DEBUG.

Setting that logger to DEBUG (the command's ``--verbose`` does) leaves Brightway's output as it was.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

logger = logging.getLogger("bw_mllca.brightway")


class _LogLines(io.TextIOBase):
    """A text stream that logs each complete line (a tqdm refresh ends in a carriage return)."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self._level = level
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).replace("\r", "\n").split("\n")
        self._pending = lines.pop()
        for line in lines:
            if line.strip():
                logger.log(self._level, "%s", line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            logger.log(self._level, "%s", self._pending.rstrip())
        self._pending = ""


@contextmanager
def brightway_output_logged() -> Iterator[None]:
    """Route what Brightway prints inside the block to the ``bw_mllca.brightway`` logger.

    Usable as a decorator. Warnings raised inside the block are re-issued after it, so that they
    reach the caller's warning filters rather than the log stream.
    """
    if logger.isEnabledFor(logging.DEBUG):
        yield
        return
    out, err = _LogLines(logging.INFO), _LogLines(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        try:
            with redirect_stdout(out), redirect_stderr(err):
                yield
        finally:
            out.flush()
            err.flush()
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
