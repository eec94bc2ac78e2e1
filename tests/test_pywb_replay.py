"""pywb replays the crawl's WARC files: its identity-mode (``id_``) body, decoded, equals what
the zoo sends for that URL, byte for byte.

pywb runs as its own program (``wb-manager`` + ``wayback`` on 127.0.0.1) from its own venv:
it pins redis==2.10.6, which cannot share an environment with scrapy-redis (redis>=4.2), so
``scripts/test.sh`` installs it into ``.venv-pywb`` (docs/warc.md, *Replay with pywb*).
Two collections: one built the documented way (``wb-manager add`` indexes the WARCs itself),
one that uses the crawl's own CDXJ index (``DATA/indexes/<crawl>.cdxj``) as it is.  A list
POSTed page by page to one URL replays page by page: pywb keys the POST by its form, as the
index does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from archive.warc.cdxj import lookup
from archive.warc.read import decode_content
from tests.conftest import run_cli
from tests.processes import answering, free_port
from tests.sql import rows

ROOT = Path(__file__).resolve().parent.parent


def pywb_bin() -> Path | None:
    """Directory holding pywb's `wayback` and `wb-manager`."""
    for candidate in (os.environ.get("UNION_PYWB_BIN"), ROOT / ".venv-pywb" / "bin"):
        if candidate and (Path(candidate) / "wayback").exists():
            return Path(candidate)
    found = shutil.which("wayback")
    return Path(found).parent if found and shutil.which("wb-manager") else None


def _get(url: str, timeout: float = 10) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def pywb_or_skip() -> Path:
    """pywb's bin/ directory; the test is skipped without pywb."""
    bin_dir = pywb_bin()
    if bin_dir is None:
        pytest.skip(
            "pywb is not installed: `bash scripts/test.sh` puts it into .venv-pywb "
            "(or set UNION_PYWB_BIN to the bin/ directory of a venv with pywb)"
        )
    return bin_dir


def wb_manager(bin_dir: Path, root: Path, *args: str) -> None:
    proc = subprocess.run(
        [str(bin_dir / "wb-manager"), *args], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def pywb_collection(root: Path, name: str, data: Path) -> Path:
    """A pywb collection ``name`` under ``root`` made the documented way (``wb-manager add``
    copies and indexes the WARC files of the data directory ``data``); pywb's bin/ directory."""
    bin_dir = pywb_or_skip()
    wb_manager(bin_dir, root, "init", name)
    wb_manager(bin_dir, root, "add", name, *map(str, sorted((data / "warc").glob("*.warc.gz"))))
    return bin_dir


@pytest.fixture(scope="module")
def wayback(crawled, tmp_path_factory):
    pywb_or_skip()
    assert crawled.proc.returncode == 0, crawled.proc.stderr[-3000:]
    root = tmp_path_factory.mktemp("pywb")
    warcs = sorted((crawled.data / "warc").glob("*.warc.gz"))
    [cdxj] = sorted((crawled.data / "indexes").glob("*.cdxj"))
    # 1. the documented way: wb-manager copies and indexes the WARCs
    bin_dir = pywb_collection(root, "union", crawled.data)
    # 2. the crawl's own CDXJ index over the WARC files where they are
    wb_manager(bin_dir, root, "init", "ownindex")
    coll = root / "collections" / "ownindex"
    for w in warcs:
        (coll / "archive" / w.name).symlink_to(w)
    shutil.copy(cdxj, coll / "indexes" / "index.cdxj")

    with running_wayback(root, bin_dir) as base:
        yield type("W", (), dict(base=base, cdxj=cdxj, zoo=crawled.zoo, data=crawled.data))


@contextlib.contextmanager
def running_wayback(root: Path, bin_dir: Path):
    """pywb's ``wayback`` serving the collections under ``root`` on a free loopback port,
    its base URL once it answers; stopped (and its log closed) on leaving."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [str(bin_dir / "wayback"), "-b", "127.0.0.1", "-p", str(port)]
    with answering(cmd, base + "/", root / "wayback.log", "wayback", 60, cwd=root):
        yield base


def _post(url: str, body: bytes, content_type: str) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(
        url, data=body, headers={"Accept-Encoding": "identity", "Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def _samples(w) -> dict[str, str]:
    """A GBK page, a Big5 page, a .docx and a .pdf attachment, as archived by the crawl."""
    docs = rows(w.data / "archive.db", "select url, site, encoding from documents")
    site = {name: base.split("/")[2] for name, base in w.zoo.urls.items()}
    gbk = next(d["url"] for d in docs if d["site"] == site["trs"] and d["encoding"] == "gbk")
    big5 = next(d["url"] for d in docs if d["site"] == site["big5"] and d["encoding"] == "big5")
    gold = w.zoo.truth["documents"]
    docx = next(d["url"] for d in gold if d["kind"] == "docx")
    pdf = next(d["url"] for d in gold if d["kind"] == "pdf")
    return {"gbk": gbk, "big5": big5, "docx": docx, "pdf": pdf}


@pytest.mark.parametrize("collection", ["union", "ownindex"])
def test_pywb_identity_replay_equals_what_the_zoo_sends(wayback, collection):
    samples = _samples(wayback)
    for kind, url in samples.items():
        [entry] = [e for e in lookup(wayback.cdxj, url) if e.get("status") == "200"][:1]
        status, headers, body = _get(f"{wayback.base}/{collection}/{entry['timestamp']}id_/{url}")
        assert status == 200, (kind, url, status, body[:300])
        assert headers.get("Memento-Datetime"), (kind, headers)  # served from the archive
        replayed = decode_content(body, headers.get("Content-Encoding"))
        zoo_status, zoo_headers, sent = _get(url)
        assert zoo_status == 200
        assert replayed == decode_content(sent, zoo_headers.get("Content-Encoding")), (kind, url)
        if kind in ("gbk", "big5"):
            assert replayed.decode(kind).count("工") or replayed.decode(kind).count("會"), kind
        if kind == "docx":
            assert replayed[:2] == b"PK"
        if kind == "pdf":
            assert replayed[:5] == b"%PDF-"


def test_pywb_does_not_invent_captures(wayback):
    """A URL the crawl never fetched is not in the archive (pywb answers 404)."""
    url = wayback.zoo.urls["trs"] + "never/crawled.html"
    status, _, _ = _get(f"{wayback.base}/union/2026id_/{url}")
    assert status == 404


def test_exported_replay_urls_replay_the_documents_captures(wayback, tmp_path):
    """`union-archive export --replay-url` gives each document a URL that pywb answers with
    that very capture (its Memento-Datetime is the document's captured_at)."""
    import json
    from email.utils import parsedate_to_datetime

    out = tmp_path / "docs.jsonl"
    proc = run_cli(
        "export",
        "--data",
        str(wayback.data),
        "-o",
        str(out),
        "--replay-url",
        f"{wayback.base}/union/",
    )
    assert proc.returncode == 0, proc.stderr
    exported = {row["url"]: row for row in map(json.loads, out.read_text().splitlines())}
    for kind, url in _samples(wayback).items():
        row = exported[url]
        status, headers, body = _get(row["replay_url"])
        assert status == 200, (kind, row["replay_url"], status, body[:300])
        moment = parsedate_to_datetime(headers["Memento-Datetime"])
        assert moment.strftime("%Y-%m-%dT%H:%M:%SZ") == row["captured_at"], kind


@pytest.mark.parametrize("collection", ["union", "ownindex"])
def test_pywb_replays_each_post_answer_to_its_own_form(wayback, collection):
    """The hanweb list POSTed ``pgno=N`` to one URL: pywb, given page 2's form, replays page
    2's answer (as the zoo sends it), not page 1's (the GET) nor page 3's."""
    form = "application/x-www-form-urlencoded"
    url = wayback.zoo.urls["hanweb"] + "oldsite/column.jsp?cid=222"
    bodies = {}
    for n in (1, 2, 3):
        if n == 1:
            [entry] = lookup(wayback.cdxj, url)
            status, headers, body = _get(
                f"{wayback.base}/{collection}/{entry['timestamp']}id_/{url}"
            )
        else:
            data = f"cid=222&pgno={n}".encode()
            [entry] = lookup(wayback.cdxj, url, "POST", data, form)
            replay = f"{wayback.base}/{collection}/{entry['timestamp']}id_/{url}"
            status, headers, body = _post(replay, data, form)
            zoo_status, zoo_headers, sent = _post(url, data, form)
            assert zoo_status == 200
            assert decode_content(body, headers.get("Content-Encoding")) == decode_content(
                sent, zoo_headers.get("Content-Encoding")
            ), n
        assert status == 200 and headers.get("Memento-Datetime"), (n, status, body[:300])
        bodies[n] = decode_content(body, headers.get("Content-Encoding")).decode("gbk")
        assert f"第{n}/3页" in bodies[n], n
    assert len(set(bodies.values())) == 3
