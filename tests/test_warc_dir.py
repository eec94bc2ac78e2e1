"""A crawl told to write its WARC files elsewhere (``-s WARC_DIR=...``): the indexer,
``union-archive record``, ``wacz``, ``reindex``, a recrawl and Datasette find them there."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive.warc.dirs import DIRS_FILE, warc_dirs
from tests.conftest import crawl_cmd, run_cli
from tests.sql import rows


@pytest.fixture(scope="module")
def elsewhere(zoo, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("warcdir")
    data, warc = tmp / "data", tmp / "elsewhere" / "warcs"
    proc = subprocess.run(
        crawl_cmd(data, [zoo.urls["trs"]], "-s", f"WARC_DIR={warc}"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return type("E", (), dict(data=data, warc=warc, tmp=tmp, zoo=zoo, proc=proc))


def test_crawl_writes_and_records_the_custom_directory(elsewhere):
    files = sorted(elsewhere.warc.glob("*.warc.gz"))
    assert files and not (elsewhere.data / "warc").exists()
    assert str(elsewhere.warc) in elsewhere.proc.stdout  # the summary names it
    assert str(elsewhere.warc) in (elsewhere.data / DIRS_FILE).read_text()
    assert elsewhere.warc in warc_dirs(elsewhere.data)
    # the indexer read the payloads from there: the site's gold documents are all extracted
    gold = {
        (d["url"], d["part"] or 0)
        for d in elsewhere.zoo.truth["documents"]
        if d["site"] == "trs" and d.get("reachable", True)
    }
    have = {
        (d["url"], d["part"])
        for d in rows(elsewhere.data / "archive.db", "select url, part from documents")
    }
    assert gold and gold <= have, gold - have
    names = {
        d["warc_filename"]
        for d in rows(elsewhere.data / "archive.db", "select warc_filename from documents")
    }
    assert names <= {f.name for f in files}


def test_record_command_finds_the_file(elsewhere):
    [doc] = rows(
        elsewhere.data / "archive.db",
        "select id, url from documents where url like '%.docx' limit 1",
    )
    out = elsewhere.tmp / "one.warc.gz"
    proc = run_cli("record", doc["id"], "--data", str(elsewhere.data), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    [record] = list(ArchiveIterator(io.BytesIO(out.read_bytes())))
    assert record.rec_headers.get_header("WARC-Target-URI") == doc["url"]
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(out)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_wacz_packages_the_files(elsewhere):
    out = elsewhere.tmp / "c.wacz"
    proc = run_cli("wacz", "--data", str(elsewhere.data), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    import zipfile

    with zipfile.ZipFile(out) as z:
        packed = {n.split("/", 1)[1] for n in z.namelist() if n.startswith("archive/")}
    assert packed == {f.name for f in elsewhere.warc.glob("*.warc.gz")}


def test_datasette_serves_file_and_record(elsewhere):
    from archive.publish.serve import make_datasette

    ds = make_datasette(elsewhere.data)
    [doc] = rows(elsewhere.data / "archive.db", "select id, warc_filename from documents limit 1")

    async def go():
        listing = await ds.client.get("/-/warc/?_format=json")
        whole = await ds.client.get("/-/warc/" + doc["warc_filename"])
        one = await ds.client.get("/-/record/" + doc["id"])
        return listing, whole, one

    listing, whole, one = asyncio.run(go())
    assert doc["warc_filename"] in {f["filename"] for f in listing.json()}
    assert whole.status_code == 200
    assert whole.content == (elsewhere.warc / doc["warc_filename"]).read_bytes()
    assert one.status_code == 200
    assert len(list(ArchiveIterator(io.BytesIO(one.content)))) == 1


def test_recrawl_and_reindex_use_the_custom_directory(elsewhere):
    before = rows(elsewhere.data / "archive.db", "select id, text from documents order by id")
    # a recrawl that re-checks every article (--recheck all: by default none is due yet):
    # unchanged articles answer 304 and their links are read from the archived copy in the
    # custom directory (so attachments below them are re-checked)
    proc = subprocess.run(
        crawl_cmd(
            elsewhere.data,
            [elsewhere.zoo.urls["trs"]],
            "--recheck",
            "all",
            "-s",
            f"WARC_DIR={elsewhere.warc}",
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cannot read the archived copy" not in proc.stderr
    last = rows(
        elsewhere.data / "archive.db",
        "select * from crawls order by started_at desc, rowid desc limit 1",
    )[0]
    assert last["unchanged"] > 0 and last["new_documents"] == 0 and last["changed"] == 0
    caps = rows(
        elsewhere.data / "archive.db",
        "select url, record_type from captures where crawl_id = ?",
        [last["id"]],
    )
    assert any(c["url"].endswith(".docx") for c in caps)
    assert (elsewhere.data / DIRS_FILE).read_text().count(str(elsewhere.warc)) == 1
    proc = run_cli("reindex", "--data", str(elsewhere.data))
    assert proc.returncode == 0, proc.stderr
    after = rows(elsewhere.data / "archive.db", "select id, text from documents order by id")
    assert after == before
