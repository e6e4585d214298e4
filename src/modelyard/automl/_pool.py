"""Worker processes for trials in parallel (``parallelism=N``).

Each worker is a process started with the ``forkserver`` method (never ``fork``: the parent may
hold threads, such as a tracking client's or a progress bar's). A worker receives one pickled
set-up once (the search data), builds its state from it, then runs one job at a time and sends
back ``("ok", value)`` or ``("error", exception)``. The parent keeps the search (the Optuna
study) and the tracking; workers only compute. A worker still running when the parent's
deadline passes is terminated, not awaited.

This module imports nothing heavy: a worker starts by importing it, sets its thread limits,
and only then unpickles its set-up (which imports pandas, scikit-learn, ...).

:class:`SparkPool` offers the same interface over a Spark session: each job is a one-task
Spark job, cancelled (not awaited) when the pool closes.
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable
from typing import Any

__all__ = ["SparkPool", "Worker", "WorkerDied", "WorkerPool"]

_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


class WorkerDied(RuntimeError):
    """The process running a trial exited without answering (killed, out of memory, crash)."""


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling both ways, else a ``RuntimeError`` with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def _worker_main(conn: Any, payload: bytes, threads: int) -> None:
    for var in _THREAD_VARS:  # effective for the libraries not loaded yet
        os.environ[var] = str(threads)
    try:
        setup, args = pickle.loads(payload)
        try:  # the libraries already loaded (numpy's BLAS, OpenMP)
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads)
        except Exception:  # threadpoolctl is a scikit-learn dependency; only a speed matter
            pass
        state = setup(*args, threads=threads)
    except BaseException as exc:
        conn.send(("setup_error", _portable(exc)))
        conn.close()
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            break
        if job is None:
            break
        fn, job_args = job
        try:
            outcome: tuple[str, Any] = ("ok", fn(state, *job_args))
        except Exception as exc:
            outcome = ("error", _portable(exc))
        try:
            conn.send(outcome)
        except Exception as exc:  # the result could not be pickled
            conn.send(("error", _portable(exc)))
    conn.close()


class Worker:
    """One worker process and its end of the pipe; ``job`` is what it runs now (or ``None``)."""

    def __init__(self, ctx: Any, payload: bytes, threads: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=_worker_main, args=(child, payload, threads), daemon=True, name="automl-worker"
        )
        self.proc.start()
        child.close()
        self.job: Any = None

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> None:
        self.job = tag
        try:
            self.conn.send((fn, args))
        except OSError:  # the worker is gone: :meth:`WorkerPool.wait` reads why
            pass

    def close(self, kill: bool) -> None:
        if self.proc.is_alive() and not kill:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(timeout=5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join()
        self.conn.close()
        self.proc.close()


class WorkerPool:
    """``size`` workers, each built from ``setup(*setup_args, threads=k)`` in the worker, with
    ``k = os.cpu_count() // size`` threads each (at least 1)."""

    def __init__(self, size: int, setup: Callable[..., Any], setup_args: tuple[Any, ...]) -> None:
        import multiprocessing

        self._ctx = multiprocessing.get_context("forkserver")
        # a forkserver started here imports only this light module, not the caller's __main__
        self._ctx.set_forkserver_preload([__name__])
        self._payload = pickle.dumps((setup, setup_args), protocol=pickle.HIGHEST_PROTOCOL)
        self._threads = max(1, (os.cpu_count() or 1) // size)
        self.workers: list[Worker] = []
        try:
            for _ in range(size):
                self.workers.append(self._start())
        except BaseException:
            self.close()
            raise

    def _start(self) -> Worker:
        return Worker(self._ctx, self._payload, self._threads)

    def idle(self) -> list[Worker]:
        return [w for w in self.workers if w.job is None]

    def busy(self) -> list[Worker]:
        return [w for w in self.workers if w.job is not None]

    def wait(self, until: float) -> list[tuple[Worker, Any, str, Any]]:
        """Answers of busy workers until the monotonic time ``until``: ``(worker, job, kind,
        value)`` with kind ``ok`` / ``error`` (value: the exception); a dead worker answers
        ``error`` with :class:`WorkerDied` and is replaced. ``[]`` when the time is up."""
        from multiprocessing.connection import wait

        busy = self.busy()
        if not busy:
            return []
        handles: list[Any] = [w.conn for w in busy] + [w.proc.sentinel for w in busy]
        ready = set(wait(handles, timeout=max(0.0, until - time.monotonic())))
        out: list[tuple[Worker, Any, str, Any]] = []
        for w in busy:
            if w.conn not in ready and w.proc.sentinel not in ready:
                continue
            job, w.job = w.job, None
            try:
                kind, value = w.conn.recv()
            except (EOFError, OSError):
                w.proc.join(timeout=5)
                code = w.proc.exitcode
                self._replace(w)
                out.append(
                    (w, job, "error", WorkerDied(f"the worker process exited with code {code}"))
                )
                continue
            if kind == "setup_error":
                self.close()
                raise value
            out.append((w, job, kind, value))
        return out

    def _replace(self, dead: Worker) -> None:
        dead.close(kill=True)
        self.workers[self.workers.index(dead)] = self._start()

    def close(self) -> None:
        """Terminate busy workers (their trials are cut), stop idle ones."""
        for w in self.workers:
            w.close(kill=w.job is not None)
        self.workers = []


_SPARK_STATES: dict[str, Any] = {}


def _spark_task(key: str, payload: Any, threads: int, fn: Callable[..., Any], args: Any) -> Any:
    """One trial inside a Spark task: the worker's state is built once per Python worker and
    search (``key``), then reused by the later tasks of the same search on that worker."""
    state = _SPARK_STATES.get(key)
    if state is None:
        _SPARK_STATES.clear()  # one search at a time per Python worker
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads)
        except Exception:  # only a speed matter
            pass
        setup, setup_args = pickle.loads(payload.value)
        state = _SPARK_STATES[key] = setup(*setup_args, threads=threads)
    try:
        return ("ok", fn(state, *args))
    except Exception as exc:
        return ("error", _portable(exc))


class _SparkSlot:
    """One trial at a time as a one-task Spark job, submitted from a driver thread in its own
    job group, so that :meth:`SparkPool.close` can cancel it."""

    def __init__(self, pool: SparkPool, index: int) -> None:
        self.pool, self.group, self.job = pool, f"{pool.key}-{index}", None
        self.thread: Any = None

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> None:
        from pyspark import InheritableThread

        self.job = tag
        self.thread = InheritableThread(target=self._run, args=(tag, fn, args), daemon=True)
        self.thread.start()

    def _run(self, tag: Any, fn: Callable[..., Any], args: Any) -> None:
        sc, key, payload, threads = (
            self.pool.sc,
            self.pool.key,
            self.pool.payload,
            self.pool.threads,
        )
        sc.setJobGroup(self.group, "modelyard AutoML trial", interruptOnCancel=True)
        try:
            rdd = sc.parallelize([0], 1)
            answer = rdd.map(lambda _: _spark_task(key, payload, threads, fn, args)).collect()[0]
        except Exception as exc:  # cancelled, or the task could not run
            answer = ("error", RuntimeError(f"the Spark task failed: {exc}"))
        self.pool.answers.put((self, tag, *answer))


class SparkPool:
    """The :class:`WorkerPool` interface over a Spark session: ``size`` trials at once, each a
    Spark task (``local[k]`` mode or a cluster); the set-up goes to the executors once, as a
    broadcast variable."""

    def __init__(
        self, spark: Any, size: int, setup: Callable[..., Any], setup_args: tuple[Any, ...]
    ) -> None:
        import queue
        import uuid

        self.sc = spark.sparkContext
        self.key = f"modelyard-automl-{uuid.uuid4().hex[:12]}"
        data = pickle.dumps((setup, setup_args), protocol=pickle.HIGHEST_PROTOCOL)
        self.payload = self.sc.broadcast(data)
        self.threads = max(1, (os.cpu_count() or 1) // size)
        self.answers: queue.Queue[Any] = queue.Queue()
        self.workers = [_SparkSlot(self, i) for i in range(size)]

    def idle(self) -> list[Any]:
        return [w for w in self.workers if w.job is None]

    def busy(self) -> list[Any]:
        return [w for w in self.workers if w.job is not None]

    def wait(self, until: float) -> list[tuple[Any, Any, str, Any]]:
        import queue

        if not self.busy():
            return []
        items = []
        try:
            items.append(self.answers.get(timeout=max(0.0, until - time.monotonic())))
            while True:
                items.append(self.answers.get_nowait())
        except queue.Empty:
            pass
        out = []
        for slot, tag, kind, value in items:
            if slot.job is not tag:  # the answer of a trial cut earlier
                continue
            slot.job = None
            out.append((slot, tag, kind, value))
        return out

    def close(self) -> None:
        """Cancel the running trials' jobs (not awaited beyond a few seconds)."""
        for w in self.workers:
            if w.job is not None:
                self.sc.cancelJobGroup(w.group)
        for w in self.workers:
            if w.thread is not None:
                w.thread.join(timeout=10)
        self.workers = []
        self.payload.unpersist()
