#!/usr/bin/env bash
# README command 1: set everything up, then crawl the bundled demo portals on loopback,
# build the archive in data/demo and serve it with Datasette on http://127.0.0.1:8001/
set -euo pipefail
cd "$(dirname "$0")/.."
# playwright drives Debian's chromium (crawler/browser.py); it never downloads a browser
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
UNION_EXTRAS="[browser]" bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "demo: installing Debian's chromium (the zoo's challenge and app sites need it)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "demo: could not install chromium: those two sites are skipped" >&2
  else
    echo "demo: chromium is missing and we are not root: the challenge and app sites are skipped" >&2
  fi
fi
exec .venv/bin/union-archive demo --data data/demo "$@"
