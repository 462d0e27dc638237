"""The ``sshd`` fixture: one real OpenSSH server for the whole session."""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.remote.sshd import Sshd


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    try:
        yield server
    finally:
        server.stop()
