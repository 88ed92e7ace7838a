"""Brightway's own console output (tqdm bars, ``print`` lines) routed to the log.

bw2data draws a tqdm bar for every database it writes and bw2io prints a line per imported
database. A project set-up writes four databases, a build one or two: a page of bars for what is,
to the user, one step. While ``brightway_output_logged`` is active, what Brightway prints becomes
records of the ``bw_mllca.brightway`` logger at INFO (printed lines), and its progress bars are
dropped (bw_mllca shows one bar of its own per long step, such as Monte Carlo).

Setting that logger to DEBUG (the command's ``--verbose`` does) leaves Brightway's output as it was.
"""

from __future__ import annotations

import io
import logging
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import TextIO

logger = logging.getLogger("bw_mllca.brightway")


# a tqdm refresh: "desc:  42%|####  | 420/1000 [...]" or, without a total, "420it [00:01, 300.00it/s]"
TQDM_LINE = re.compile(r"\d%\||\dit \[|it/s\]|s/it\]")


class _Lines(io.TextIOBase):
    """A text stream that hands each complete line to ``emit`` (a tqdm refresh ends in a carriage
    return, so a carriage return ends a line too)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        super().__init__()
        self._emit = emit
        self._pending = ""  # a line not yet ended

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).replace("\r", "\n").split("\n")
        self._pending = lines.pop()
        for line in lines:
            if line.strip():
                self._emit(line.rstrip())
        return len(text)

    def flush(self) -> None:
        if self._pending.strip():
            self._emit(self._pending.rstrip())
        self._pending = ""


def _to_stream(stream: TextIO) -> Callable[[str], None]:
    """Write a line to ``stream`` unless it is a tqdm refresh (bw_mllca's own log lines, printed by
    logging's last-resort handler on the current stderr, still come through)."""

    def emit(line: str) -> None:
        if not TQDM_LINE.search(line):
            stream.write(line + "\n")

    return emit


@contextmanager
def brightway_output_logged() -> Iterator[None]:
    """Route what Brightway prints inside the block to the ``bw_mllca.brightway`` logger.

    Usable as a decorator. Warnings raised inside the block are re-issued after it, so that they
    reach the caller's warning filters rather than the log stream.
    """
    if logger.isEnabledFor(logging.DEBUG):
        yield
        return
    out = _Lines(lambda line: logger.info("%s", line))
    err = _Lines(_to_stream(sys.stderr))
    # Warnings are caught and re-issued after the block, where the caller's filters and stderr apply.
    with warnings.catch_warnings(record=True) as caught:
        try:
            with redirect_stdout(out), redirect_stderr(err):
                yield
        finally:
            out.flush()
            err.flush()
    for warning in caught:
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
