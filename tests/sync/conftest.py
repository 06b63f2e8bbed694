from __future__ import annotations

import pytest

from tests.sync.harness import District


@pytest.fixture
def district(tmp_path, server_target):
    d = District(tmp_path, target=server_target)
    yield d
    d.close()
