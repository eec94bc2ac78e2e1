"""DEPTH_LIMIT counts clicks from the start pages; the next pages of a list do not add depth.

The zoo's large portal links its list pages only through a pager (page numbers to the
first, previous, next and last list page), so with plain Scrapy depth a long list is cut
off after DEPTH_LIMIT pages and the articles of its later pages are never reached."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import crawl_cmd
from zoo import Zoo

ARTICLES = 250  # 5 list pages of 50


def crawl_large(tmp_path, depth_limit: int) -> tuple[set[int], set[int]]:
    with Zoo(large_pages=ARTICLES) as z:
        proc = subprocess.run(
            crawl_cmd(tmp_path, [z.urls["large"]], "-s", f"DEPTH_LIMIT={depth_limit}"),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        paths = [r["path"] for r in z.requests("large")]
    lists = {int(m.group(1)) for p in paths if (m := re.fullmatch(r"/list/(\d+)\.html", p))}
    arts = {int(m.group(1)) for p in paths if (m := re.fullmatch(r"/art/(\d+)\.html", p))}
    return lists, arts


def test_every_page_of_a_long_list_is_read_within_the_depth_limit(tmp_path):
    # "/" (depth 0) -> list 0 (1) -> its articles (2); lists 1-4 are list 0's pages (1)
    lists, arts = crawl_large(tmp_path, depth_limit=2)
    assert lists == set(range(5))
    assert arts == set(range(ARTICLES))


def test_ordinary_links_still_count(tmp_path):
    # depth 1: every page of the list, but no article (two clicks from the start page)
    lists, arts = crawl_large(tmp_path, depth_limit=1)
    assert lists == set(range(5))
    assert arts == set()
