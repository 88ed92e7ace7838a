"""Kill points: named steps at which a test (or a soak run) stops the process with a real signal.

A write that must survive a crash passes named points (``kill_point("build:rows-written")``). Armed
by the environment variable ``BW_MLLCA_KILL_AT`` (``POINT`` or ``POINT:SIGNAL``, SIGKILL by default)
or by ``arm(...)``, the process sends itself that signal there: no clean-up code runs after a
SIGKILL, exactly as when the machine loses power or a scheduler kills the job. ``open:GLOB`` names a
file-system event instead: the moment the process opens a file matching GLOB for writing (an audit
hook sees every ``open``). Unarmed, a kill point costs one dictionary look-up.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import sys

ENVIRONMENT = "BW_MLLCA_KILL_AT"
_armed: dict[str, signal.Signals] = {}
_audit_hook_added = False


def arm(spec: str) -> None:
    """Arm one kill point, ``POINT`` or ``POINT:SIGNAL`` (e.g. ``open:*/processed/*.zip:SIGINT``)."""
    point, _, name = spec.rpartition(":") if spec.endswith(("SIGKILL", "SIGINT", "SIGTERM")) else (spec, "", "")
    _armed[point] = signal.Signals[name] if name else signal.SIGKILL
    if point.startswith("open:"):
        _add_audit_hook()


def arm_from_environment() -> None:
    spec = os.environ.get(ENVIRONMENT, "")
    if spec:
        arm(spec)


def kill_point(name: str) -> None:
    """Send the armed signal to this process if ``name`` is armed."""
    if _armed and name in _armed:
        _kill(_armed.pop(name))


def _kill(signum: signal.Signals) -> None:
    os.kill(os.getpid(), signum)


def _add_audit_hook() -> None:
    global _audit_hook_added
    if _audit_hook_added:
        return
    _audit_hook_added = True

    def on_event(event: str, args: tuple) -> None:
        if event != "open" or not _armed:
            return
        path, mode, flags = args
        if isinstance(mode, str):  # open(): its mode text
            writing = any(flag in mode for flag in "wax+")
        else:  # os.open(): its flags
            writing = isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR))
        if not writing or not isinstance(path, (str, bytes, os.PathLike)):
            return
        text = os.fsdecode(path)
        for point in [p for p in _armed if p.startswith("open:")]:
            if fnmatch.fnmatch(text, point[len("open:"):]):
                _kill(_armed.pop(point))

    sys.addaudithook(on_event)
