#!/usr/bin/env bash
# Build the clinician front-end (frontend/) into src/ictal/server/static/, which `ictal serve`
# serves at /. Steps, each skipped when its inputs did not change (a second run is a no-op):
#   1. npm ci                  when package-lock.json changed since the last install;
#   2. generate the API types  frontend/src/api/schema.d.ts from the back-end's OpenAPI schema
#                              (create_app(...).openapi(), no server needed; openapi-typescript);
#   3. type-check + vite build when any input of the bundle changed, then copy dist/ to static/.
# Needs Node >= 20 and npm, and the project's virtualenv (.venv, or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
FRONT="$ROOT/frontend"
STATIC="$ROOT/src/ictal/server/static"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

command -v npm >/dev/null 2>&1 || { echo "build-frontend: npm not found: install Node.js >= 20 (scripts/install-system.sh)" >&2; exit 2; }
[ -x "$PYTHON" ] || { echo "build-frontend: no Python at $PYTHON: run 'make setup' first (or set PYTHON)" >&2; exit 2; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# 1. dependencies
lock_hash="$(hash_of "$FRONT/package-lock.json")"
stamp="$FRONT/node_modules/.ictal-lock.sha256"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "build-frontend: npm ci"
  (cd "$FRONT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > "$stamp"
fi

# 2. API types from the OpenAPI schema (written only when they changed, so step 3 can skip)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" - "$tmp/openapi.json" <<'PY'
import json, sys, tempfile
from pathlib import Path
from ictal.server.app import create_app
from ictal.server.config import ServerSettings

with tempfile.TemporaryDirectory() as data_dir:
    app = create_app(ServerSettings(data_dir=Path(data_dir)))
    Path(sys.argv[1]).write_text(json.dumps(app.openapi(), indent=1, sort_keys=True))
PY
(cd "$FRONT" && npx --no-install openapi-typescript "$tmp/openapi.json" -o "$tmp/schema.d.ts" --default-non-nullable false >/dev/null)
if ! cmp -s "$tmp/schema.d.ts" "$FRONT/src/api/schema.d.ts"; then
  echo "build-frontend: API types changed: updating frontend/src/api/schema.d.ts"
  cp "$tmp/schema.d.ts" "$FRONT/src/api/schema.d.ts"
fi

# 3. bundle
inputs_hash="$(cd "$FRONT" && find src index.html monitor.html vite.config.ts tsconfig.json package.json package-lock.json -type f \
  -not -name '*.test.ts' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
if [ -f "$STATIC/index.html" ] && [ "$(cat "$STATIC/.build-inputs.sha256" 2>/dev/null)" = "$inputs_hash" ]; then
  echo "build-frontend: up to date"
  exit 0
fi
echo "build-frontend: type-check and build"
(cd "$FRONT" && npx --no-install tsc --noEmit && npx --no-install vite build --logLevel warn)
rm -rf "$STATIC.new"
cp -r "$FRONT/dist" "$STATIC.new"
echo "$inputs_hash" > "$STATIC.new/.build-inputs.sha256"
rm -rf "$STATIC"
mv "$STATIC.new" "$STATIC"
echo "build-frontend: built into ${STATIC#"$ROOT/"} ($(du -sh "$STATIC" | cut -f1))"
