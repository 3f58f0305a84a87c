"""The front-end's own checks, so that ``make test`` (CI) runs them: the TypeScript type-check
of ``frontend/src`` including the type-level tests (``expectTypeOf``: e.g. that each versioned
route's 409 carries its entity's row type), and the vitest unit tests
(``frontend/src/**/*.test.ts``).

Needs Node.js and ``frontend/node_modules`` (``scripts/build-frontend.sh`` installs them; ``make
test`` runs it first). Without them the test skips, unless ``CI`` is set (then it fails).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
TIMEOUT_S = 300


def _npx() -> str:
    npx = shutil.which("npx")
    missing = None
    if npx is None:
        missing = "npx not found: install Node.js >= 20 (scripts/install-system.sh)"
    elif not (FRONTEND / "node_modules" / ".bin" / "vitest").exists():
        missing = "frontend/node_modules is not installed: run scripts/build-frontend.sh"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the front-end checks must run, but {missing}")
        pytest.skip(missing)
    assert npx is not None
    return npx


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_npx(), "--no-install", *args], cwd=FRONTEND, capture_output=True,
                          text=True, timeout=TIMEOUT_S, env={**os.environ, "NO_COLOR": "1"})


def test_typescript_type_checks() -> None:
    result = _run("tsc", "--noEmit")
    assert result.returncode == 0, f"tsc --noEmit failed:\n{result.stdout}{result.stderr}"


def test_vitest_unit_tests_pass() -> None:
    result = _run("vitest", "run")
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"vitest run failed:\n{output}"
    assert " passed" in output and " failed" not in output, output
