"""Lint many files, in this process or in a pool of worker processes.

Files are independent once the project index exists, so they are spread over worker
processes in chunks, largest files first (so no worker is left with one huge file at the
end). Each worker receives the linter — settings, rules (pickled by module path), project
index and cache writer — once, in its initializer. A handful of files is linted in-process:
starting workers would cost more than it saves (pre-commit passes a few files).
"""
from __future__ import annotations

import concurrent.futures.process
import gc
import multiprocessing
import os
import signal
import sys
import threading
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple


# Below this many files per worker, a worker's start-up costs more than it saves.
MIN_FILES_PER_WORKER = 24
# Chunks per worker: enough to balance the load, few enough to keep the overhead small.
CHUNKS_PER_WORKER = 16
MAX_CHUNK_FILES = 64


@dataclass(frozen=True)
class Task:
    display: str
    absolute: str


# lints a file (or, for the project pass, summarizes one): any picklable callable
FileLinter = Callable[[Task], Any]


@dataclass
class Outcome:
    results: Dict[int, Any] = field(default_factory=dict)  # FileResult, or what the linter returns
    errors: List[str] = field(default_factory=list)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_count(jobs: int, files: int) -> int:
    """How many processes to use for ``files`` files: 1 means in-process."""
    if jobs <= 1:
        return 1
    return max(1, min(jobs, files // MIN_FILES_PER_WORKER))


def make_chunks(indices: Sequence[int], sizes: Sequence[int], workers: int) -> List[List[int]]:
    """Group task indices into chunks of about equal size in bytes, the largest first."""
    ordered = sorted(indices, key=lambda i: sizes[i], reverse=True)
    target = max(1, sum(sizes[i] for i in ordered) // max(1, workers * CHUNKS_PER_WORKER))
    chunks: List[List[int]] = []
    current: List[int] = []
    weight = 0
    for index in ordered:
        current.append(index)
        weight += sizes[index]
        if weight >= target or len(current) >= MAX_CHUNK_FILES:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def lint_tasks(tasks: Sequence[Task], sizes: Sequence[int], linter: FileLinter, jobs: int,
               progress: Optional[Callable[[int], None]] = None,
               while_waiting: Optional[Callable[[], None]] = None) -> Outcome:
    """Lint every task; ``progress(n)`` is told each time ``n`` more files are done.
    ``while_waiting`` is called once the worker processes have the work, when there are
    any (the main process would only wait): work of its own that the lint does not need."""
    workers = worker_count(jobs, len(tasks))
    if workers == 1:
        outcome = Outcome()
        for index, task in enumerate(tasks):
            outcome.results[index] = _without_gc_pauses(linter, task)
            if progress is not None:
                progress(1)
        return outcome
    chunks = make_chunks(range(len(tasks)), sizes, workers)
    return _in_pool(tasks, chunks, linter, workers, progress, while_waiting)


# -- the pool --------------------------------------------------------------------------------
_LINTER: Optional[FileLinter] = None


def _init_worker(linter: FileLinter) -> None:
    global _LINTER
    _LINTER = linter
    # Ctrl-C reaches the whole process group: the parent alone handles it and ends us. It
    # was held (blocked) across the fork, so one pressed before this line is dropped here,
    # not raised in a half-started worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_HOLD_SIGINT:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


_CAN_HOLD_SIGINT = hasattr(signal, "pthread_sigmask") and hasattr(signal, "SIGINT")


@contextmanager
def _sigint_held() -> Iterator[None]:
    """Hold Ctrl-C while workers are started: they inherit it held (their initializer
    ignores it, then releases it); here it is delivered, and raised, once released."""
    if not _CAN_HOLD_SIGINT or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _lint_chunk(chunk: List[Tuple[int, Task]]) -> List[Tuple[int, Any]]:
    assert _LINTER is not None
    return [(index, _without_gc_pauses(_LINTER, task)) for index, task in chunk]


def _without_gc_pauses(linter: FileLinter, task: Task) -> Any:
    """Lint one file with the cycle collector off, and let it run between files.

    A large file's syntax tree is hundreds of thousands of small objects; while it is alive,
    every full collection that its allocations trigger walks all of them (without this
    pause a cold run took 40 % longer). The tree is freed by reference counting when the
    file is done, so the collector, back on, finds only the few cycles the file left.
    """
    if not gc.isenabled():
        return linter(task)
    gc.disable()
    try:
        return linter(task)
    finally:
        gc.enable()


def _context():
    # fork: workers inherit the imported modules and the linter without pickling them. The
    # pool is started before any progress-bar thread exists, so forking is safe.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return None


def _in_pool(tasks: Sequence[Task], chunks: List[List[int]], linter: FileLinter, workers: int,
             progress: Optional[Callable[[int], None]], while_waiting: Optional[Callable[[], None]] = None,
             ) -> Outcome:
    outcome = Outcome()
    # what the workers inherit (modules, the project index) lives as long as they do: out of
    # the collector's sight, so no collection in a worker scans it (or copies its pages)
    ours = gc.get_freeze_count() == 0  # never thaw what a caller froze
    if ours:
        gc.freeze()
    try:
        return _run_pool(tasks, chunks, linter, workers, progress, outcome, while_waiting)
    finally:
        if ours:
            gc.unfreeze()


def _run_pool(tasks: Sequence[Task], chunks: List[List[int]], linter: FileLinter, workers: int,
              progress: Optional[Callable[[int], None]], outcome: Outcome,
              while_waiting: Optional[Callable[[], None]] = None) -> Outcome:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_init_worker, initargs=(linter,))
    try:
        pending: Dict[Future, List[int]] = {}
        with _sigint_held():  # the workers are forked by these submits
            for number, chunk in enumerate(chunks):
                try:
                    pending[pool.submit(_lint_chunk, [(i, tasks[i]) for i in chunk])] = chunk
                except BrokenProcessPool:  # a worker died while chunks were still being handed out
                    unsent = [tasks[i].display for c in chunks[number:] for i in c]
                    outcome.errors.append(
                        f"a worker process died unexpectedly; {len(unsent)} file(s) were not sent to a "
                        f"worker, among them {min(unsent)}"
                    )
                    break
        if while_waiting is not None:
            while_waiting()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                try:
                    pairs = future.result()
                except BrokenProcessPool:
                    lost = [tasks[i].display for i in chunk]
                    lost += [tasks[i].display for c in pending.values() for i in c]
                    outcome.errors.append(
                        f"a worker process died unexpectedly; {len(lost)} file(s) were not checked, "
                        f"among them {min(lost)}"
                    )
                    pending.clear()
                    break
                except Exception as exc:  # e.g. a result that does not pickle: lose this chunk only
                    detail = str(exc).splitlines()[0] if str(exc) else ""
                    outcome.errors.append(
                        f"internal error in a worker process ({type(exc).__name__}: {detail}); "
                        f"{len(chunk)} file(s) were not checked, among them {min(tasks[i].display for i in chunk)}"
                    )
                    continue
                outcome.results.update(pairs)
                if progress is not None:
                    progress(len(pairs))
    except BaseException:  # KeyboardInterrupt above all: end the workers now, not after their chunk
        _terminate(pool)
        raise
    pool.shutdown(wait=True)
    return outcome


def _terminate(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    # read before shutdown(), which forgets the pool's manager thread and result queue
    manager = getattr(pool, "_executor_manager_thread", None)
    results = getattr(pool, "_result_queue", None)
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(timeout=2)
    if manager is None:  # no task was ever submitted
        return
    # A worker ended while writing its result leaves half a message in the result pipe, and
    # the manager thread waits for the rest (the interpreter then waits for that thread at
    # exit: a hang after "interrupted"). The workers' ends of the pipe closed with them; ours
    # closes here (only workers write to it), so the manager reads the pipe's end and stops.
    writer = getattr(results, "_writer", None)
    if writer is not None:
        writer.close()
    # Let the manager thread see its dead workers and close its wake-up pipe now: the
    # interpreter's exit hook (concurrent.futures' _python_exit) may otherwise write to that
    # pipe while the thread closes it, printing "OSError: Bad file descriptor" after our
    # "interrupted".
    manager.join(timeout=2)
    # On a loaded machine the manager may outlive that join, and CPython 3.9's hook writes to
    # every pipe it registered, closed or not. The hook has nothing to do for this pool:
    # shutdown() above has woken the manager, which ends on its own once it sees its dead
    # workers (and the interpreter joins it at exit). So this pool leaves the hook's table.
    wakeups = getattr(concurrent.futures.process, "_threads_wakeups", None)
    if wakeups is not None:
        wakeups.pop(manager, None)
