from __future__ import annotations

import pytest

from tests.sync.harness import District


@pytest.fixture
def district(tmp_path, server_target):
    d = District(tmp_path, target=server_target)
    yield d
    d.close()


@pytest.fixture
def server(tmp_path, server_target):
    """A real `safecity serve` process on a free loopback port, seeded with a 300-hazard district."""
    from tests.sync.test_end_to_end import Server, free_port

    s = Server(server_target, tmp_path, free_port())
    s.admin("seed", "--scale", "300")
    s.start()
    yield s
    s.kill()
