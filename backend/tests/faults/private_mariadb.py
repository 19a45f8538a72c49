"""A MariaDB server of the test's own (its own datadir, port and socket) that the test may kill.

The shared server at 3306 is never touched. `mariadb-install-db` makes a datadir with a root user
that logs in from 127.0.0.1 without a password; `mariadbd --no-defaults` reads no configuration
file of this machine's, so what runs is exactly what is written here.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from bench.server import free_port

_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
_READY = "ready for connections"
_START_TIMEOUT_SEC = 60.0  # generous: only there so a server that never starts fails instead of hanging
_STOP_TIMEOUT_SEC = 30.0


def missing_binaries() -> list[str]:
    return [
        name for name in ("mariadbd", "mariadb-install-db") if shutil.which(name, path=_SEARCH_PATH) is None
    ]


class PrivateMariaDB:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.datadir = root / "data"
        self.log = root / "mariadbd.log"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0

    def url(self, database: str = "") -> str:
        return f"mysql+asyncmy://root@127.0.0.1:{self.port}/{database}"

    def install(self) -> None:
        """A fresh datadir (system tables, root without a password); about a second."""
        subprocess.run(
            [
                _binary("mariadb-install-db"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--innodb-log-file-size=8M",
                *self._user(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        """Start on the datadir (after a kill: InnoDB's crash recovery runs) and wait until it serves."""
        log = self.log.open("ab")
        self._process = subprocess.Popen(
            [
                _binary("mariadbd"),
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.root / 'mariadbd.sock'}",
                f"--pid-file={self.root / 'mariadbd.pid'}",
                "--innodb-buffer-pool-size=32M",
                "--innodb-log-file-size=8M",
                "--skip-name-resolve",
                *self._user(),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._starts += 1
        deadline = time.monotonic() + _START_TIMEOUT_SEC
        while self.log.read_text(errors="replace").count(_READY) < self._starts:
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"private mariadbd did not start:\n{tail}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush beyond what InnoDB already made durable."""
        assert self._process is not None
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=_STOP_TIMEOUT_SEC)
        self._process = None

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and nothing answers, as on a hung host."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGCONT)  # a frozen server would not act on SIGTERM
        self._process.terminate()
        try:
            self._process.wait(timeout=_STOP_TIMEOUT_SEC)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    @staticmethod
    def _user() -> list[str]:
        # mariadbd refuses to run as root unless told to; as anyone else it runs as that user.
        return ["--user=root"] if os.geteuid() == 0 else []


def _binary(name: str) -> str:
    path = shutil.which(name, path=_SEARCH_PATH)
    assert path is not None, f"{name} not found"
    return path
