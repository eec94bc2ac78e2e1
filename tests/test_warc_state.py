"""The digest/validator history: on disk, bounded memory at 100,000 URLs, survives reopening."""

from __future__ import annotations

import resource
from datetime import UTC

from crawler.warc.records import sha1_digest
from crawler.warc.state import CaptureState


def test_hundred_thousand_urls_bounded_memory_and_indexed_lookups(tmp_path):
    path = tmp_path / "warc-state.sqlite"
    state = CaptureState(path)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    for i in range(100_000):
        url = f"http://portal.example.cn/art/2023/{i}.html?id={i}"
        digest = sha1_digest(url.encode())
        src = {
            "url": url,
            "warc_date": "2026-11-21T15:30:00.000001Z",
            "warc_filename": f"union-20261121153000-{i // 40000:05d}.warc.gz",
            "warc_offset": i * 9000,
            "warc_length": 9000,
        }
        state.add_original(
            digest, url, src["warc_date"], src["warc_filename"], src["warc_offset"], 9000
        )
        state.set_validators(
            url, f'"{i:x}"', "Tue, 14 Nov 2023 22:13:20 GMT", digest, src, "2026-11-21T15:30:00Z"
        )
    state.commit()
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
    assert grown < 40 * 1024, grown  # rows go to disk, not to Python memory
    state.close()

    state = CaptureState(path)  # a later crawl
    for i in range(0, 100_000, 100):
        url = f"http://portal.example.cn/art/2023/{i}.html?id={i}"
        row = state.validators(url)
        assert row["etag"] == f'"{i:x}"' and row["original_url"] == url
        assert state.original(row["payload_digest"])["warc_offset"] == i * 9000
    # each lookup is one index search, not a scan of 100,000 rows (counted, not timed)
    for sql in (
        "select * from _validators where url = ?",
        "select * from _digests where payload_digest = ?",
    ):
        plan = " ".join(r[-1] for r in state.db.execute("explain query plan " + sql, ("x",)))
        assert plan.startswith("SEARCH") and ("INDEX" in plan or "PRIMARY KEY" in plan), plan
    assert state.validators("http://portal.example.cn/never") is None
    state.close()


def test_revisit_intervals_follow_freshness_and_adapt(tmp_path):
    """crawler.revisit on the state file: heuristic and explicit freshness, growth while
    unchanged, shrinking on change, bounds, gone pages, per-URL spread of due times."""
    from datetime import datetime, timedelta

    from crawler.revisit import DAY, RevisitPolicy, explicit_freshness, jitter, parse_iso

    policy = RevisitPolicy()  # the defaults: 1..30 days, 7 without Last-Modified
    state = CaptureState(tmp_path / "s.sqlite")
    t0 = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)

    def check(url, days_later, status=200, digest="sha1:A", headers=()):
        when = (t0 + timedelta(days=days_later)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        state.checked(url, when, status, digest, list(headers), policy)
        if status == 200:
            state.set_validators(
                url,
                None,
                None,
                digest,
                {
                    "url": url,
                    "warc_date": when,
                    "warc_filename": "f",
                    "warc_offset": 0,
                    "warc_length": 1,
                },
                when,
            )
        row = state.schedule(url)
        return dict(row) if row else None

    lm = [("Last-Modified", "Sat, 11 Nov 2026 02:30:00 GMT")]  # 10 days old
    a = "http://p.example.cn/a.html"
    assert check(a, 0, headers=lm)["interval_s"] == 1.0 * DAY  # 10 % of 10 days
    assert check(a, 1, 304)["interval_s"] == 1.5 * DAY  # unchanged: x1.5
    assert check(a, 3, 200, "sha1:A")["interval_s"] == 2.25 * DAY  # same payload: unchanged
    row = check(a, 6, 200, "sha1:B")  # changed: x0.5
    assert row["interval_s"] == 1.125 * DAY and row["changes"] == 1 and row["checks"] == 4
    assert (
        abs(
            (parse_iso(row["next_due"]) - parse_iso(row["checked_at"])).total_seconds()
            - 1.125 * DAY * jitter(a)
        )
        < 1
    )
    old = [("Last-Modified", "Sun, 01 Jan 2012 00:00:00 GMT")]
    assert check("http://p.example.cn/old.html", 0, headers=old)["interval_s"] == 30 * DAY  # capped
    assert check("http://p.example.cn/none.html", 0)["interval_s"] == 7 * DAY
    # the server's own freshness lifetime is respected when longer (up to the cap)
    assert (
        check(
            "http://p.example.cn/cc.html", 0, headers=[("Cache-Control", "public, max-age=1209600")]
        )["interval_s"]
        == 14 * DAY
    )
    assert explicit_freshness([("Cache-Control", "no-cache, max-age=99999")]) is None
    assert (
        explicit_freshness(
            [
                ("Expires", "Sat, 28 Nov 2026 02:30:00 GMT"),
                ("Date", "Sat, 21 Nov 2026 02:30:00 GMT"),
            ]
        )
        == 7 * DAY
    )
    assert explicit_freshness([("Expires", "0"), ("Date", "Sat, 21 Nov 2026 02:30:00 GMT")]) == 0
    # a 404 keeps the interval and counts as a change; an unknown URL's 404 makes no row
    before = check(a, 7, 304)
    gone = check(a, 9, 404, None)
    assert gone["interval_s"] == before["interval_s"] and gone["changes"] == before["changes"] + 1
    check("http://p.example.cn/never.html", 0, 404, None)
    assert state.schedule("http://p.example.cn/never.html") is None
    # due: by the crawl's start + slack; due times of one night's pages spread out
    assert policy.due_before(t0) == "2026-11-21T08:30:00Z"
    factors = [jitter(f"http://p.example.cn/{i}.html") for i in range(1000)]
    assert 0.9 <= min(factors) < 0.91 and 1.09 < max(factors) < 1.1
    state.close()
