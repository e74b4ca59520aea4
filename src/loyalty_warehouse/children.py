"""Child processes that never outlive the command that started them.

A command stopped by SIGTERM, SIGINT or SIGHUP passes the signal on to its child and waits
for it; a command killed outright (SIGKILL) takes its child with it, because the kernel
sends the child SIGKILL when its parent dies (Linux `PR_SET_PDEATHSIG`). Without this a
dbt child kept writing a candidate after its parent had released the build lock, and a
stopped dashboard left its Streamlit server holding the port.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class Stopped(Exception):
    """The command was asked to stop; its child has been stopped and waited for."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run(command: Sequence[str], env: Mapping[str, str] | None = None,
        pass_fds: Sequence[int] = (), watch: Sequence[str] = (),
        cwd: Path | None = None) -> tuple[int, list[str]]:
    """Run command to the end, forwarding stop signals to it; return its exit code and
    the lines of its output that contain any of `watch` (the output is still printed as
    it comes).

    pass_fds keeps descriptors open in the child: the build passes its lock file, so the
    lock is held for as long as any process of the build is alive.
    """
    child = subprocess.Popen(list(command), env=dict(env) if env is not None else None, cwd=cwd,
                             preexec_fn=_die_with_parent, pass_fds=tuple(pass_fds),
                             stdout=subprocess.PIPE if watch else None,
                             stderr=subprocess.STDOUT if watch else None, text=bool(watch),
                             errors="replace" if watch else None)
    seen: list[str] = []

    received: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        if watch and child.stdout is not None:
            for line in child.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                if any(marker in line for marker in watch):
                    seen.append(line.strip())
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Stopped(received[0])
    return returncode, seen


def replace_process(command: Sequence[str], env: Mapping[str, str]) -> None:
    """Become the command (exec): signals reach it directly and no parent is left behind."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(command[0], list(command), dict(env))
