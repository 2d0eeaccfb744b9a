"""Look at a process tree through Linux ``/proc`` (fault tests and benchmarks). Imports no rclpy."""

from __future__ import annotations

from pathlib import Path


def _stat_fields(pid: int | str) -> list[str]:
    # The command name in parentheses may hold spaces: split after its closing parenthesis.
    return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()


def child_processes(pid: int) -> dict[int, str]:
    """Running (not zombie) children of ``pid``: {pid: command line}. Empty where there is no /proc."""
    out: dict[int, str] = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid = _stat_fields(entry.name)[:2]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, IndexError):
            continue  # exited while we looked
        if int(ppid) == pid and state != "Z":
            out[int(entry.name)] = cmdline
    return out


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer runs: absent, or a zombie (re-parented to an init that may not reap it)."""
    try:
        return _stat_fields(pid)[0] == "Z"
    except (OSError, IndexError):
        return True
