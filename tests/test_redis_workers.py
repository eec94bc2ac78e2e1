"""Two crawler processes share one frontier and duplicate filter in a real Redis
(scrapy-redis): every page is fetched once across both, each writes its own WARC files,
and `reindex` builds one archive with every gold document from them."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from collections import Counter

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import crawl_cmd, run_cli
from tests.processes import free_port
from tests.sql import rows

SITES = ("trs", "fanwen", "big5")  # GBK, multi-page and multi-part, attachments, Big5


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    exe = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if shutil.os.path.exists("/usr/bin/redis-server") else None
    )
    if exe is None:
        pytest.skip(
            "redis-server is not installed (Debian: apt-get install redis-server; "
            "scripts/test.sh installs it when run as root)"
        )
    pytest.importorskip("scrapy_redis", reason="scrapy-redis is not installed (test extra)")
    import redis

    tmp = tmp_path_factory.mktemp("redis")
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def two_workers(redis_url, tmp_path_factory):
    from zoo import Zoo

    root = tmp_path_factory.mktemp("distributed")
    with Zoo(slow_seconds=0.5) as z:
        starts = [z.urls[s] for s in SITES]
        # a polite delay, as on a real portal: one worker cannot drain the shared frontier in
        # the second or so the other may still spend starting Scrapy after the barrier
        procs = [
            subprocess.Popen(
                crawl_cmd(
                    root,
                    starts,
                    "--redis",
                    redis_url,
                    "--worker",
                    name,
                    "--wait-workers",
                    "2",
                    "--delay",
                    "0.25",
                ),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("w1", "w2")
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        requests = {s: z.requests(s) for s in SITES}
        truth = z.truth
        urls = dict(z.urls)
    for p, (_out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    return type(
        "T",
        (),
        dict(root=root, outs=outs, requests=requests, truth=truth, urls=urls, redis_url=redis_url),
    )


def _warcs(t, worker):
    return sorted((t.root / "workers" / worker / "warc").glob("*.warc.gz"))


def _fetched(files):
    """Target URIs of response/revisit records (one per fetch) in these files."""
    out = []
    for f in files:
        with open(f, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type in ("response", "revisit"):
                    out.append(rec.rec_headers.get_header("WARC-Target-URI"))
    return out


def test_no_url_fetched_twice_across_workers(two_workers):
    t = two_workers
    for site in SITES:
        paths = Counter(r["path"] for r in t.requests[site])
        # robots.txt: each worker's RobotsTxtMiddleware asks for it itself (at most once)
        assert paths.pop("/robots.txt", 0) <= 2, site
        twice = {p: n for p, n in paths.items() if n > 1}
        assert paths and not twice, (site, twice)


def test_each_worker_wrote_its_own_valid_warc_files(two_workers):
    t = two_workers
    mine = {}
    for worker in ("w1", "w2"):
        files = _warcs(t, worker)
        assert files and all(f.name.startswith(f"union-{worker}-") for f in files)
        for f in files:
            proc = subprocess.run(
                [sys.executable, "-m", "warcio.cli", "check", "-v", str(f)],
                capture_output=True,
                text=True,
            )
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
        mine[worker] = [u for u in _fetched(files) if not u.endswith("/robots.txt")]
        assert mine[worker], f"{worker} fetched nothing: the frontier was not shared"
    assert not set(mine["w1"]) & set(mine["w2"])
    crawl_ids = {
        r["id"]
        for w in ("w1", "w2")
        for r in rows(t.root / "workers" / w / "archive.db", "select id from crawls")
    }
    assert len(crawl_ids) == 1  # one crawl, two workers
    assert "it was the last one" in "".join(out for out, _ in t.outs)


def test_redis_keys_are_gone_after_the_last_worker(two_workers):
    import redis

    client = redis.Redis.from_url(two_workers.redis_url)
    try:
        assert client.keys("union-archive*") == []
    finally:
        client.close()


def test_reindex_builds_one_archive_with_every_gold_document_once(two_workers):
    t = two_workers
    proc = run_cli("reindex", "--data", str(t.root))
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = t.root / "archive.db"
    [crawl] = rows(db, "select * from crawls")
    assert crawl["status"] == "reindexed"
    netlocs = {t.urls[s].split("/")[2] for s in SITES}
    gold = [
        d
        for d in t.truth["documents"]
        if d["url"].split("/")[2] in netlocs and d.get("reachable", True)
    ]
    have = Counter((d["url"], d["part"]) for d in rows(db, "select url, part from documents"))
    missing = [(d["url"], d["part"] or 0) for d in gold if have[(d["url"], d["part"] or 0)] != 1]
    assert gold and not missing, missing
    # every gold page was fetched (response record) exactly once across the workers
    fetched = Counter(_fetched(_warcs(t, "w1") + _warcs(t, "w2")))
    for d in gold:
        for url in d.get("pages") or [d["url"]]:
            assert fetched[url] == 1, (url, fetched[url])
    # provenance resolves into the workers' directories
    [doc] = rows(db, "select id from documents limit 1")
    out = t.root / "one.warc.gz"
    proc = run_cli("record", doc["id"], "--data", str(t.root), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert len(list(ArchiveIterator(io.BytesIO(out.read_bytes())))) == 1
