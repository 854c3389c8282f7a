"""Collection across worker processes, for organizations too large for one Python process.

botocore's work per client and per call is CPU-bound Python, so one process tops out at one core
whatever its thread count. With `[aws] processes = N`, the (account, region, service) tasks are
split into chunks that N spawned workers run on their own thread pools; the parent stores every
outcome in the evidence sink, so the run, its manifest and its signature are the same as with one
process. Assumed-role credentials reach the workers through the process pipe, never through disk.
Workers end with the parent, even when it is SIGKILLed, so a killed collect leaves nothing running.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from trustctl.collectors.aws.accounts import Account
from trustctl.collectors.aws.clients import AssumedSession, ClientFactory
from trustctl.collectors.base import Outcome
from trustctl.config import AwsConfig

_FACTORY: list[ClientFactory] = []  # one per worker process, created on its first chunk
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class RemoteTask:
    collector: int  # index into default_collectors()
    account: str
    credentials: dict[str, str] | None  # None: the worker's own (home account) credentials
    region: str
    label: str


def _die_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when `parent` ends, however it ends.

    An idle worker blocks on its call queue, whose write end it holds itself (the queue is pickled
    whole into it), so it never sees the parent go; nor does the resource tracker that the queues'
    named semaphores start under "spawn", because every worker holds its pipe open too. Once the
    workers are gone, the tracker reads EOF and exits.
    """
    if sys.platform == "linux":
        # The kernel signals us when the thread that started us ends: run_in_processes starts every
        # worker from the thread that then waits on the pool until it shuts down.
        prctl = ctypes.CDLL(None, use_errno=True).prctl
        prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    else:
        threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    # The parent may have died while we were starting (importing takes seconds), before anything
    # above could notice; we were reparented then.
    if os.getppid() != parent:
        os._exit(1)


def _exit_when_orphaned(parent: int) -> None:
    """Where there is no parent-death signal: poll, since reparenting is all we can see."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _run_chunk(settings: AwsConfig, tasks: list[RemoteTask], threads: int) -> list[Outcome]:
    """In a worker: run a chunk of tasks on a thread pool and return every outcome."""
    from trustctl.collectors.aws.runner import default_collectors, run_task

    if not _FACTORY:
        _FACTORY.append(ClientFactory(settings))
    factory = _FACTORY[0]
    collectors = default_collectors()
    outcomes: list[Outcome] = []

    def one(task: RemoteTask) -> None:
        session = (
            factory.session_from_credentials(task.credentials) if task.credentials else factory.base_session()
        )
        run_task(
            factory,
            collectors[task.collector],
            Account(task.account, "", session),
            task.region,
            outcomes.append,
        )

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="collect") as pool:
        for future in [pool.submit(one, t) for t in tasks]:
            future.result()
    return outcomes


def remote_task(collector: int, account: Account, region: str, label: str) -> RemoteTask:
    session = account.session
    credentials = None
    if isinstance(session, AssumedSession):
        credentials = {
            "AccessKeyId": session.credentials["aws_access_key_id"],
            "SecretAccessKey": session.credentials["aws_secret_access_key"],
            "SessionToken": session.credentials["aws_session_token"],
        }
    return RemoteTask(collector, account.account_id, credentials, region, label)


def run_in_processes(
    settings: AwsConfig,
    tasks: Sequence[RemoteTask],
    record: Callable[[Outcome], None],
    advance: Callable[[str], None],
) -> None:
    """Run tasks on `settings.processes` spawned workers; record outcomes here as chunks finish."""
    processes = settings.processes
    threads = max(2, settings.max_workers // processes)
    chunk_count = min(len(tasks), processes * 4) or 1
    # Round-robin, so each chunk mixes accounts and services and chunks take similar time.
    chunks = [list(tasks[i::chunk_count]) for i in range(chunk_count)]
    context = multiprocessing.get_context("spawn")  # never fork a process that runs threads
    with ProcessPoolExecutor(
        max_workers=processes, mp_context=context, initializer=_die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        futures = {pool.submit(_run_chunk, settings, chunk, threads): chunk for chunk in chunks if chunk}
        for future in as_completed(futures):
            for outcome in future.result():
                record(outcome)
            for task in futures[future]:
                advance(task.label)
