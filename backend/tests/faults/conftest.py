"""Fault suite fixtures: a private MariaDB the test may kill, and the figures each test reports.

Every fault test runs a real server (`bench.server.running_server`: `neurotune serve` in its own
process), breaks what it stands on, and prints what the clients saw. The figures are also listed
at the end of the run ("fault suite figures"), so they reach a closing note without `-s`.
"""

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.tests.faults.private_mariadb import PrivateMariaDB, missing_binaries

_FIGURES = pytest.StashKey[list[str]]()

Report = Callable[[str], None]


@pytest.fixture
def private_mariadb() -> Iterator[PrivateMariaDB]:
    missing = missing_binaries()
    if missing:
        pytest.skip(
            f"needs {' and '.join(missing)} to run a private MariaDB the test may kill "
            "(Debian: apt-get install mariadb-server); the shared server is never killed"
        )
    # Not tmp_path: the server's socket path must stay under ~100 characters.
    root = Path(tempfile.mkdtemp(prefix="nt-mariadb-"))
    server = PrivateMariaDB(root)
    try:
        server.install()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Report:
    """Print one line of figures, and keep it for the end-of-run summary."""
    figures = request.config.stash.setdefault(_FIGURES, [])

    def add(line: str) -> None:
        text = f"{request.node.name}: {line}"
        print(text)
        figures.append(text)

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    figures = config.stash.get(_FIGURES, [])
    if figures:
        terminalreporter.section("fault suite figures")
        for line in figures:
            terminalreporter.line(line)
