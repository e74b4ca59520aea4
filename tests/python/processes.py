"""Which processes are still alive: for tests that stop a command and expect nothing left."""

from __future__ import annotations

import socket
import time
from pathlib import Path


def session_members(session_id: int) -> list[int]:
    """Live (not zombie) processes of a session; a command started with
    start_new_session=True leads its own session, which its children inherit."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: split after its last ')'
        fields = text[text.rindex(")") + 2:].split()
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            members.append(int(stat.parent.name))
    return members


def wait_until_gone(session_id: int, seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := session_members(session_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
