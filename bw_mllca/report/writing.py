"""Writing one output file so that a failure (a full disk, a quota, a file size limit) leaves no
truncated file behind and names the file that could not be written."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def output_file(path: Path) -> Iterator[Path]:
    """Yield ``path`` to be written; if writing raises OSError, remove what was written and raise
    an OSError that names ``path`` (a write to a full disk has no file name of its own)."""
    try:
        yield path
    except OSError as error:
        try:
            path.unlink(missing_ok=True)
            removed = "; the partial file was removed"
        except OSError:
            removed = "; the partial file could not be removed"
        log.warning("could not write %s: %s%s", path, error.strerror or error, removed)
        raise OSError(error.errno, f"{error.strerror or error}{removed}", str(path)) from None
