#!/usr/bin/env bash
# Shared set-up for the two README commands: a venv in .venv with union-archive installed.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install --quiet -e ".${UNION_EXTRAS:-}" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import archive, crawler, zoo, scrapy, warcio, trafilatura, datasette" \
  || { echo "setup: installing union-archive failed" >&2; exit 1; }
