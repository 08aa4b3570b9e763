"""Compare and corrupt artifact trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Run telemetry (wall-clock latency and heartbeat) is outside the byte-identical core.
TELEMETRY_PREFIX = "runs/telemetry/"


def snapshot(root: Path) -> dict[str, bytes]:
    """Relative path → bytes of every file under ``root`` (except run telemetry)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(TELEMETRY_PREFIX)
    }


def tb(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``tb`` console script in a real subprocess."""
    exe = Path(sys.executable).with_name("tb")
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
