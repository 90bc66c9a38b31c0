"""`attest worker` as a process against the test app's database and keys (real clock)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.servers import ATTEST, server_env


def run_worker_once(app, log: Path, **settings: str) -> str:
    """`attest worker --once`: what is due now, delivered; its output."""
    env = server_env(app, **{f"ATTEST_{k}": v for k, v in settings.items()})
    done = subprocess.run(
        [str(ATTEST), "worker", "--once"], env=env, capture_output=True, text=True, timeout=120
    )
    log.write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
