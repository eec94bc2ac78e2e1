#!/usr/bin/env bash
# README command 2: set everything up for the tests (venv, Python packages, Debian's
# packages: chromium, cron, a CJK font) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
UNION_EXTRAS="[test]" bash scripts/setup.sh
# Debian packages some tests use: chromium (browser test), cron (crontab scheduling test),
# a CJK font (readable screenshots). Installed when missing and we are root.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v crontab >/dev/null 2>&1 || missing="$missing cron"
fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk" || missing="$missing fonts-wqy-zenhei"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian packages:$missing" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "test: could not install$missing" >&2
  else
    echo "test: not root: missing$missing (their tests will skip)" >&2
  fi
fi
exec .venv/bin/python -m pytest "$@"
