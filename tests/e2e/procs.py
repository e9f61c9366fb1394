"""Long-running processes the suite starts, watched through their log file and
ended by pid (never by name)."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import time

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # If the test run itself is killed (SIGKILL, no finalizers), the kernel ends
    # its daemons too; namespaces are swept by the next run.
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


class Daemon:
    """A process whose stdout+stderr go to `log_path`."""

    def __init__(self, name: str, args: list[str], log_path: str, env: dict | None = None):
        self.name = name
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent, env=env)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def describe(self) -> str:
        tail = "\n".join(self.log().splitlines()[-40:])
        return f"{self.name} (pid {self.pid}): {' '.join(self.args)}\n--- log tail ---\n{tail}"

    def wait_for_log(self, pattern: str, timeout: float = 15) -> re.Match:
        """Waits until the log matches `pattern`; fails early if the process exits."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            m = regex.search(self.log())
            if m:
                return m
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before "
                                   f"logging /{pattern}/\n{self.describe()}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not log /{pattern}/ within {timeout}s\n{self.describe()}")

    def wait_for_unix_socket(self, path: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}\n{self.describe()}")
            if os.path.exists(path):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    try:
                        s.connect(path)
                        return
                    except OSError:
                        pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not accept on {path} within {timeout}s\n{self.describe()}")

    def stop(self, grace: float = 5) -> int | None:
        """SIGTERM, then SIGKILL after `grace` seconds; returns the exit status."""
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=grace)
            except ProcessLookupError:
                pass
        self._log.close()
        return self.proc.returncode
