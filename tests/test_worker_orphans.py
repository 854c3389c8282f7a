"""Worker processes die with their parent: a SIGKILLed `collect aws` with `[aws] processes = 2` leaves
neither its workers nor the multiprocessing resource tracker running under PID 1 (issue 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads the process tree from /proc")

Process = tuple[int, int]  # pid, start time: a pid alone may be reused once its process is gone


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat from field 3 (state) on; the command name before it may contain spaces."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _descendants(root: int) -> dict[Process, str]:
    """Every live process under `root`, with its command line."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: dict[Process, str] = {}
    pending = list(children.get(root, []))
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        fields = _stat(pid)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if fields is not None and fields[0] not in "ZX":
            found[(pid, int(fields[19]))] = cmdline
    return found


def _alive(process: Process) -> bool:
    # Orphans that died stay zombies when PID 1 does not reap them (as in some containers): dead.
    fields = _stat(process[0])
    return fields is not None and int(fields[19]) == process[1] and fields[0] not in "ZX"


def _busy_worker(process: Process, cmdline: str) -> bool:
    # A worker running a chunk has its thread pool up: more than one thread.
    fields = _stat(process[0])
    return "spawn_main" in cmdline and fields is not None and int(fields[17]) > 1


def test_workers_and_resource_tracker_die_with_a_killed_collect(aws: str, project: Path) -> None:
    config = project / "trustctl.toml"
    config.write_text(config.read_text().replace("processes = 1 ", "processes = 2 ", 1))
    assert "processes = 2 " in config.read_text()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustctl.cli", "collect", "aws"],
        cwd=project,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tree: dict[Process, str] = {}
    try:
        # Workers import trustctl before their first chunk: seconds on a loaded machine.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            tree = _descendants(proc.pid)
            busy = [p for p, cmdline in tree.items() if _busy_worker(p, cmdline)]
            if len(busy) == 2 and any("resource_tracker" in c for c in tree.values()):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"never saw two busy workers and a resource tracker (collect exit: {proc.poll()})")
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL

        deadline = time.monotonic() + 10
        while (left := [p for p in tree if _alive(p)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not left, f"still running after the parent was killed: {[tree[p] for p in left]}"
    finally:
        proc.kill()
        proc.wait()
        for process in tree:  # never leave orphans behind a failed test
            if _alive(process):
                os.kill(process[0], signal.SIGKILL)


@pytest.mark.parametrize("guard", ["_die_with_parent", "_exit_when_orphaned"])
def test_a_worker_whose_parent_is_already_gone_exits(guard: str) -> None:
    # The race the parent-death signal leaves open: the parent died while the worker was starting.
    # 0 is never our parent's pid, as a dead parent's is not once we were reparented.
    code = f"from trustctl.collectors.aws.processes import {guard}; {guard}(0); print('still here')"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1 and "still here" not in ran.stdout, ran.stderr
