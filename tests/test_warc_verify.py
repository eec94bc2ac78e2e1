"""A WARC file cut in half: `warcio check` still passes it, so `union-archive verify`
finds it; later crawls write no revisit record pointing at the lost records (the lost
documents are fetched again), and the repairs verify names leave an archive it calls well."""

from __future__ import annotations

import gzip
import subprocess
import sys

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import crawl_cmd, run_cli
from tests.sql import rows


@pytest.fixture(scope="module")
def zoo():
    """A zoo of this module's own: the session's counts the requests of its one crawl."""
    from zoo import Zoo

    with Zoo(slow_seconds=1.0) as z:
        yield z


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def whole(path, offset, length) -> bool:
    """The bytes at (offset, length) are one complete gzip member holding a WARC record."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    try:
        return gzip.decompress(data).startswith(b"WARC/")
    except (EOFError, OSError):
        return False


def responses(files, cut=None):
    """(target URI, WARC-Date) -> (path, offset, length) of every response record warcio reads
    (``cut``: a file cut short on purpose, read up to its torn record, where warcio may stop
    or raise depending on where the cut falls)."""
    from warcio.exceptions import ArchiveLoadFailed

    out = {}
    for path in files:
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            try:
                for r in it:
                    if r.rec_type == "response":
                        key = (
                            r.rec_headers.get_header("WARC-Target-URI"),
                            r.rec_headers.get_header("WARC-Date"),
                        )
                        it.read_to_end(r)
                        out[key] = (path, it.get_record_offset(), it.get_record_length())
            except ArchiveLoadFailed:
                if path != cut:
                    raise
    return out


def revisits(files):
    out = []
    for path in files:
        with open(path, "rb") as fh:
            for r in ArchiveIterator(fh):
                if r.rec_type == "revisit":
                    h = r.rec_headers
                    out.append(
                        (
                            h.get_header("WARC-Target-URI"),
                            h.get_header("WARC-Refers-To-Target-URI"),
                            h.get_header("WARC-Refers-To-Date"),
                        )
                    )
    return out


def gold(zoo):
    return {(d["url"], d["part"] or 0) for d in zoo.truth["documents"] if d.get("reachable", True)}


def test_a_truncated_warc_file_is_found_and_what_it_lost_is_fetched_again(zoo, tmp_path):
    data = tmp_path / "a"
    first = run(crawl_cmd(data, zoo.start_urls))
    assert first.returncode == 0, first.stderr[-3000:]
    assert run_cli("verify", "--data", str(data)).returncode == 0
    [cut] = sorted((data / "warc").glob("*.warc.gz"))
    size = cut.stat().st_size
    with open(cut, "r+b") as fh:
        fh.truncate(size // 2)
    # (warcio check passes such a file or stumbles on the cut member, depending on where
    # the cut falls: the archive needs a check of its own either way)

    found = run_cli("verify", "--data", str(data))
    assert found.returncode == 1, found.stdout + found.stderr
    assert f"{cut}: cut short" in found.stdout
    assert "have no readable archived copy" in found.stdout
    assert "--recheck all" in found.stdout and "--allow-loopback" in found.stdout
    assert f"union-archive reindex --data {data}" in found.stdout

    # the repairs, as verify names them: fetch again what was lost, then reindex
    old = set((data / "warc").glob("*.warc.gz"))
    again = run(crawl_cmd(data, zoo.start_urls, "--recheck", "all"))
    assert again.returncode == 0, again.stderr[-3000:]
    new = sorted(set((data / "warc").glob("*.warc.gz")) - old)
    originals = responses(sorted(old) + new, cut=cut)
    # every revisit of the new crawl refers to a response record that reads back whole
    made = revisits(new)
    assert made
    for uri, ref_uri, ref_date in made:
        assert (ref_uri, ref_date) in originals, uri
        assert whole(*originals[(ref_uri, ref_date)]), (uri, ref_uri)
    # the documents whose records were cut away were fetched in full again
    assert any(
        whole(*loc)
        for (u, _), loc in originals.items()
        if loc[0] in new and u in {url for url, _ in gold(zoo)}
    )

    fixed = run_cli("reindex", "--data", str(data))
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    assert (data / "warc" / (cut.name + ".torn")).exists()  # nothing is thrown away
    ok = run_cli("verify", "--data", str(data))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all well" in ok.stdout
    have = {
        (r["url"], r["part"]) for r in rows(data / "archive.db", "select url, part from documents")
    }
    assert not gold(zoo) - have, gold(zoo) - have
    for d in rows(
        data / "archive.db", "select warc_filename, warc_offset, warc_length from documents"
    ):
        assert whole(data / "warc" / d["warc_filename"], d["warc_offset"], d["warc_length"]), d
    files = sorted((data / "warc").glob("*.warc.gz"))
    check = run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)])
    assert check.returncode == 0, check.stdout


def test_verify_finds_a_search_index_behind_the_archive(zoo, tmp_path):
    """Rows queued for the search index and never written (a crash between archive.db's
    commit and the index's), or an index missing: a problem whose fix puts it right."""
    import shutil
    import sqlite3

    data = tmp_path / "s"
    assert run(crawl_cmd(data, zoo.start_urls[:1])).returncode == 0
    assert "all well" in run_cli("verify", "--data", str(data)).stdout
    conn = sqlite3.connect(data / "archive.db")
    with conn:
        conn.execute("insert into _search_pending select rowid from documents limit 2")
    conn.close()
    found = run_cli("verify", "--data", str(data))
    assert found.returncode == 1
    assert "search index (archive.db-search): 2 document(s) queued" in found.stdout
    assert f"fix: `union-archive search-index --data {data}`" in found.stdout
    assert run_cli("search-index", "--data", str(data)).returncode == 0
    assert "all well" in run_cli("verify", "--data", str(data)).stdout
    shutil.rmtree(data / "archive.db-search")
    found = run_cli("verify", "--data", str(data))
    assert found.returncode == 1 and "missing, of an earlier version" in found.stdout
    assert run_cli("search-index", "--data", str(data)).returncode == 0
    assert "all well" in run_cli("verify", "--data", str(data)).stdout


def test_verify_of_a_missing_archive_is_one_line(tmp_path):
    proc = run_cli("verify", "--data", str(tmp_path / "none"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"union-archive: error: no archive at {tmp_path / 'none'}"
