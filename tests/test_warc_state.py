"""The digest/validator history: on disk, bounded memory at 100,000 URLs, survives reopening."""
from __future__ import annotations

import resource
import time

from crawler.warc.records import sha1_digest
from crawler.warc.state import CaptureState


def test_hundred_thousand_urls_bounded_memory_and_fast_lookups(tmp_path):
    path = tmp_path / "warc-state.sqlite"
    state = CaptureState(path)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss     # KiB
    for i in range(100_000):
        url = f"http://portal.example.cn/art/2023/{i}.html?id={i}"
        digest = sha1_digest(url.encode())
        src = {"url": url, "warc_date": "2026-11-21T15:30:00.000001Z",
               "warc_filename": f"union-20261121153000-{i // 40000:05d}.warc.gz",
               "warc_offset": i * 9000, "warc_length": 9000}
        state.add_original(digest, url, src["warc_date"], src["warc_filename"], src["warc_offset"], 9000)
        state.set_validators(url, f'"{i:x}"', "Tue, 14 Nov 2023 22:13:20 GMT", digest, src,
                             "2026-11-21T15:30:00Z")
    state.commit()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    assert grown < 40 * 1024, grown              # rows go to disk, not to Python memory
    state.close()

    state = CaptureState(path)                   # a later crawl
    t = time.perf_counter()
    for i in range(0, 100_000, 100):
        url = f"http://portal.example.cn/art/2023/{i}.html?id={i}"
        row = state.validators(url)
        assert row["etag"] == f'"{i:x}"' and row["original_url"] == url
        assert state.original(row["payload_digest"])["warc_offset"] == i * 9000
    per_lookup = (time.perf_counter() - t) / 2000
    assert per_lookup < 0.002, per_lookup
    assert state.validators("http://portal.example.cn/never") is None
    state.close()
