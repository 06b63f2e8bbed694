"""scripts/demo, the README's first command, run as a user runs it."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_busy_port_stops_the_demo_with_a_clear_line(tmp_path):
    """Regression (issue 14): the demo attached silently to whatever answered on its port."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {
            **os.environ,
            "SAFECITY_DEMO_DIR": str(tmp_path / "demo"),
            "SAFECITY_DEMO_PORT": str(port),
            "SAFECITY_DEMO_SCALE": "30",
        }
        done = subprocess.run(
            ["bash", "scripts/demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"port {port} is already in use" in done.stderr
    assert not (tmp_path / "demo" / "inspector.db").exists()  # no laptop enrolled with a stranger
