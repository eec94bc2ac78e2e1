#!/usr/bin/env bash
# README command 1: set everything up, then crawl the bundled demo portals on loopback,
# build the archive in data/demo and serve it with Datasette on http://127.0.0.1:8001/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/union-archive demo --data data/demo "$@"
