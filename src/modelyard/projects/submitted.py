"""A launched project run: its MLflow run id and the process running it.

The child runs in its own session (process group), so :meth:`LocalSubmittedRun.cancel` and a
timeout end every process it started (SIGTERM to the group, SIGKILL after a grace period),
never just the shell at its top. When the process ends, the MLflow run is marked FINISHED,
FAILED or KILLED (the child may have ended it itself; the launcher's verdict wins only when the
process failed or was killed).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import IO

from modelyard.errors import ResourceDoesNotExist

__all__ = ["LocalSubmittedRun", "SubmittedRun", "kill_process_group"]


def kill_process_group(proc: subprocess.Popen[bytes], grace_seconds: float = 5.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL it if anything is left.

    Returns only once ``proc`` itself has been reaped, so its exit status is known to the
    caller (a leader still dying when the group could no longer be signalled used to leave
    ``poll()`` answering None for a moment on a busy machine).
    """
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = proc.pid
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            break  # the group is gone, or no longer ours to signal
        try:
            # SIGKILL cannot be caught: the leader dies, so wait for it
            proc.wait(timeout=grace_seconds if sig == signal.SIGTERM else None)
        except subprocess.TimeoutExpired:
            continue
        # the leader is gone; make sure no member of the group survives it
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        if sig == signal.SIGTERM:
            time.sleep(min(grace_seconds, 0.5))
    if proc.poll() is None:
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()


class SubmittedRun:
    """MLflow's interface of a submitted project run."""

    @property
    def run_id(self) -> str:
        raise NotImplementedError

    def wait(self) -> bool:
        raise NotImplementedError

    def get_status(self) -> str:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError


class LocalSubmittedRun(SubmittedRun):
    """A project run in a local child process."""

    def __init__(
        self,
        run_id: str,
        proc: subprocess.Popen[bytes],
        tracking_uri: str,
        files: tuple[IO[bytes], ...] = (),
    ) -> None:
        self._run_id = run_id
        self.proc = proc
        self.tracking_uri = tracking_uri
        self._files = files
        self._cancelled = False
        self._timed_out = False
        self._finalized = threading.Event()
        self._lock = threading.Lock()

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    @property
    def timed_out(self) -> bool:
        return self._timed_out

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the process; True when it succeeded. With ``timeout`` (seconds) a run
        still going then is killed (whole process group) and counted as failed."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._timed_out = True
            kill_process_group(self.proc)
        self._finalize()
        return self.proc.returncode == 0 and not self._cancelled and not self._timed_out

    def get_status(self) -> str:
        code = self.proc.poll()
        if code is None:
            return "RUNNING"
        if self._cancelled:
            return "KILLED"
        return "FINISHED" if code == 0 and not self._timed_out else "FAILED"

    def cancel(self) -> None:
        """Kill the run's whole process group and mark the MLflow run KILLED."""
        with self._lock:
            if self.proc.poll() is None:
                self._cancelled = True
                kill_process_group(self.proc)
        self._finalize()

    def _finalize(self) -> None:
        with self._lock:
            if self._finalized.is_set() or self.proc.poll() is None:
                return
            self._finalized.set()
        for f in self._files:
            try:
                f.close()
            except OSError:
                pass
        from modelyard.client import MlflowClient

        status = self.get_status()
        client = MlflowClient(tracking_uri=self.tracking_uri)
        try:
            current = client.get_run(self._run_id).info.status
        except ResourceDoesNotExist:  # the run was deleted for good meanwhile: nothing to mark
            return
        if status == "FINISHED" and current != "RUNNING":
            return  # the child ended its run itself (FINISHED, or FAILED on its own terms)
        if current != status:
            client.set_terminated(self._run_id, status)
