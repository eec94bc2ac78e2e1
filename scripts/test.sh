#!/usr/bin/env bash
# README command 2: set everything up for the tests (venv, Python packages, pywb in its own
# venv, Debian's packages: chromium, cron, a CJK font, redis-server, tmux) and run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1     # playwright drives Debian's chromium
UNION_EXTRAS="[test]" bash scripts/setup.sh
# pywb (replay test) lives in .venv-pywb: it pins redis==2.10.6, scrapy-redis needs redis>=4.2.
# Its warcio decodes br only with brotlicffi (pywb's own brotlipy is not used by warcio >= 1.8.2,
# and without it a br page replays as its compressed bytes), so a venv that cannot is mended.
PYWB_BR_CHECK="import io, brotlicffi
from warcio.bufferedreaders import BufferedReader
assert BufferedReader(io.BytesIO(brotlicffi.compress(b'ok')), decomp_type='br').read() == b'ok'"
if [ ! -x .venv-pywb/bin/wayback ] || ! .venv-pywb/bin/python -c "$PYWB_BR_CHECK" 2>/dev/null; then
  [ -x .venv-pywb/bin/python ] || "${PYTHON:-python3}" -m venv .venv-pywb
  .venv-pywb/bin/python -m pip install --quiet "pywb>=2.10,<2.11" "warcio>=1.8.2" \
    "brotlicffi>=1.2.1.0" 2>&1 | grep -v "^WARNING: Location" || true
  [ -x .venv-pywb/bin/wayback ] || echo "test: could not install pywb (its test will skip)" >&2
fi
# Debian packages some tests use: chromium (browser test), cron (crontab scheduling test),
# a CJK font (readable screenshots), redis-server (two crawlers sharing a Redis frontier),
# tmux (the crawl's live status in a real terminal).
# Installed when missing and we are root.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v crontab >/dev/null 2>&1 || missing="$missing cron"
# (grep reads fc-list to its end: with -q it would stop at the first match, and under
# pipefail fc-list's SIGPIPE made the font look missing, so it was installed every run)
fc-list 2>/dev/null | grep -i "wqy\|noto.*cjk" >/dev/null || missing="$missing fonts-wqy-zenhei"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"       # the crawl's terminal view
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing Debian packages:$missing" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) \
      || echo "test: could not install$missing" >&2
  else
    echo "test: not root: missing$missing (their tests will skip)" >&2
  fi
fi
# lint first (pyproject.toml's [tool.ruff]): a finding fails the run before the tests start
.venv/bin/ruff check --quiet . || { echo "test: ruff found problems (above)" >&2; exit 1; }
.venv/bin/ruff format --check --quiet . || { echo "test: run 'ruff format .' (above)" >&2; exit 1; }
exec .venv/bin/python -m pytest "$@"
