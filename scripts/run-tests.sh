#!/usr/bin/env bash
# Run the whole test-suite — unit, slow, PostgreSQL and browser tests — against a throwaway
# PostgreSQL cluster started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

ICTAL_TEST_POSTGRES_URL="$(scripts/pg-test-server.sh start)"
export ICTAL_TEST_POSTGRES_URL
trap 'scripts/pg-test-server.sh stop >/dev/null 2>&1 || true' EXIT

# -m "" lifts the default marker filter of pyproject.toml: every test runs.
.venv/bin/python -m pytest -m "" "$@"
