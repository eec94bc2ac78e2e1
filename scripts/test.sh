#!/usr/bin/env bash
# README command 2: set everything up for the tests (venv, Python packages, Debian's
# chromium for the browser test) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
UNION_EXTRAS="[test]" bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian's chromium for the browser test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "test: could not install chromium" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
