"""Endless 下一页 lists whose URLs change shape at every page (the zoo's traps site:
/dated/a2024-01-01.html -> b2024-01-02.html -> ..., /letters/aaaa.html -> aaab.html -> ...)
end: after UNION_PAGER_SHAPE_LIMIT pager hops that change the URL's shape, and in any case
after UNION_PATTERN_CHAIN_LIMIT pager hops in a row."""

from __future__ import annotations

import subprocess

import pytest

from crawler import settings
from tests.conftest import crawl_cmd
from zoo import Zoo


@pytest.mark.parametrize(
    "limits,pages",
    [
        ((), settings.UNION_PAGER_SHAPE_LIMIT + 1),  # the defaults
        (("-s", "UNION_PAGER_SHAPE_LIMIT=1000", "-s", "UNION_PATTERN_CHAIN_LIMIT=10"), 11),
    ],
)
def test_pager_chains_end_whatever_their_urls_shape(tmp_path, limits, pages):
    with Zoo(slow_seconds=0.1, oversized_bytes=1024 * 1024) as z:
        traps = [t for t in z.truth["traps"] if t.endswith(("/dated/", "/letters/"))]
        assert len(traps) == 2
        # --max-pages only keeps a crawl that never ends (the failure) finite
        proc = subprocess.run(
            crawl_cmd(tmp_path, [z.urls["traps"]], "--max-pages", "400", *limits),
            capture_output=True,
            text=True,
            timeout=300,
        )
        paths = [r["path"] for r in z.requests("traps")]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "finished (page limit)" not in proc.stdout
    for trap in traps:
        prefix = "/" + trap.split("/", 3)[3]
        hits = [p for p in paths if p.startswith(prefix)]
        # the first page (a page link from the home page) and the pager hops allowed after it
        assert len(hits) == pages, (prefix, len(hits))
