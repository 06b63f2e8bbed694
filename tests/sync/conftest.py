from __future__ import annotations

import pytest

from tests.sync.harness import District


@pytest.fixture
def district(tmp_path):
    d = District(tmp_path)
    yield d
    d.close()
