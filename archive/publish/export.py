"""``union-archive export``: the documents with their provenance and citation, as JSON Lines,
CSV or Parquet (docs/export.md).

Columns: every column of the public ``documents`` table (``archive.store.schema.DOCUMENT_COLUMNS``,
in that order), then ``PROVENANCE_COLUMNS``: the WARC-Record-ID of the record the document
came from (read from the WARC file), its URL on the published archive, a Wayback-style replay
URL and the GB/T 7714 citation (``archive.publish.citation``). Columns are only ever added.

Rows are streamed: one SELECT read row by row (one consistent snapshot, even while a crawl
writes), written one by one (JSON Lines, CSV) or in bounded batches (Parquet row groups), so
memory does not grow with the archive. The output is written to ``FILE.part`` and renamed
when complete.

Archived texts are written by strangers: a CSV text cell a spreadsheet would run as a formula
gets a single quote before it (OWASP "CSV Injection"), unless ``raw_csv``; JSON Lines and
Parquet always hold the archive's values unchanged.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sqlite3
import sys
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote

from archive.publish import citation
from archive.store.schema import DOCUMENT_COLUMNS

if TYPE_CHECKING:
    import pyarrow

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
DEFAULTS = {
    "base_url": "http://127.0.0.1:8001",  # where `union-archive serve` publishes
    "replay_prefix": "http://127.0.0.1:8080/union/",  # pywb's collection (docs/warc.md)
    "batch_rows": 1000,  # rows of one Parquet row group at most
    "batch_chars": 16_000_000,  # text characters of one Parquet row group at most
    "open_warcs": 8,  # WARC files kept open while reading record ids
}
# OWASP's list, and the full-width forms that CJK spreadsheets may read as the same signs
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")  # read as that number, never a formula
PROVENANCE_COLUMNS = {"warc_record_id": str, "record_url": str, "replay_url": str, "citation": str}


class ExportError(Exception):
    pass


def export_columns() -> dict[str, type]:
    """The export's columns, in order, with their types."""
    return {**DOCUMENT_COLUMNS, **PROVENANCE_COLUMNS}


def parse_since(value: str) -> str:
    """``YYYY-MM-DD`` or an ISO 8601 time -> the string ``captured_at`` values compare with."""
    try:
        if len(value) == 10:
            return datetime.strptime(value, "%Y-%m-%d").strftime("%Y-%m-%d")
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ExportError(
            f"--since {value!r}: give a date (2026-11-21) or an ISO 8601 time "
            "(2026-11-21T08:00:00Z)"
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def replay_url(prefix: str, captured_at: str | None, url: str | None) -> str | None:
    """``PREFIX/YYYYMMDDhhmmss/URL``: the Wayback URL form pywb and others replay."""
    stamp = "".join(c for c in captured_at or "" if c.isdigit())[:14]
    if len(stamp) != 14 or not url:
        return None
    return prefix.rstrip("/") + "/" + stamp + "/" + url


class RecordIds:
    """WARC-Record-IDs by (file name, offset), with a few WARC files kept open."""

    def __init__(self, data_dir: Path, keep_open: int = DEFAULTS["open_warcs"]):
        from archive.warc.dirs import WarcLocator

        self.locator = WarcLocator(data_dir)
        self.keep_open = keep_open
        self.files: OrderedDict[str, object] = OrderedDict()
        self.missing: dict[str, int] = {}  # file name -> documents whose id was not found

    def _file(self, name: str):
        if name in self.files:
            self.files.move_to_end(name)
            return self.files[name]
        path = self.locator.find(name)
        fh = None
        for candidate in [path, path.with_name(path.name + ".open")] if path else []:
            try:  # a crawl renames NAME.open to NAME when it closes the file
                fh = open(candidate, "rb")
                break
            except OSError:
                continue
        self.files[name] = fh
        if len(self.files) > self.keep_open:
            old = self.files.popitem(last=False)[1]
            if old is not None:
                old.close()
        return fh

    def get(self, name: str | None, offset: int | None) -> str | None:
        from archive.warc.read import record_id_at

        if not name or offset is None:
            return None
        fh = self._file(name)
        found = record_id_at(fh, offset) if fh is not None else None
        if found is None:
            self.missing[name] = self.missing.get(name, 0) + 1
        return found

    def close(self) -> None:
        for fh in self.files.values():
            if fh is not None:
                fh.close()
        self.files.clear()


def _connect(db_path: Path) -> sqlite3.Connection:
    if not db_path.is_file():
        raise ExportError(
            f"{db_path} not found (build it first: union-archive crawl --data "
            f"{db_path.parent} ... or union-archive reindex --data {db_path.parent})"
        )
    conn = sqlite3.connect("file:" + quote(str(db_path.resolve())) + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def iter_documents(
    data_dir: str | Path,
    reports_only: bool = False,
    since: str | None = None,
    sites: Iterable[str] = (),
    base_url: str = DEFAULTS["base_url"],
    replay_prefix: str = DEFAULTS["replay_prefix"],
    record_ids: RecordIds | None = None,
) -> Iterator[dict]:
    """The export's rows (``export_columns()``), ordered by document id, one at a time."""
    data_dir = Path(data_dir)
    conn = _connect(data_dir / "archive.db")
    try:
        have = {r[1] for r in conn.execute("pragma table_info(documents)")}
        if not have:
            raise ExportError(f"{data_dir / 'archive.db'} has no documents table")
        select = ", ".join(f'"{c}"' if c in have else f'null as "{c}"' for c in DOCUMENT_COLUMNS)
        where, params = [], []
        if reports_only:
            where.append("is_report = 1")
        if since:
            where.append("captured_at >= ?")
            params.append(since)
        sites = list(sites)
        if sites:  # a bare host matches it on every port ("host:port" is stored)
            where.append(
                "(" + " or ".join("site = ? or substr(site, 1, ?) = ?" for _ in sites) + ")"
            )
            for s in sites:
                params += [s, len(s) + 1, s + ":"]
        sql = (
            f"select {select} from documents"
            + (" where " + " and ".join(where) if where else "")
            + " order by id"
        )
        for row in conn.execute(sql, params):
            doc = dict(row)
            located = doc.get("warc_filename") is not None
            record = citation.record_url(base_url, doc["id"]) if located else None
            doc["warc_record_id"] = (
                record_ids.get(doc["warc_filename"], doc["warc_offset"])
                if record_ids is not None and located
                else None
            )
            doc["record_url"] = record
            doc["replay_url"] = replay_url(replay_prefix, doc.get("captured_at"), doc.get("url"))
            doc["citation"] = citation.gbt7714(doc, record)
            yield doc
    finally:
        conn.close()


# -------------------------------------------------------------------- writers


def write_jsonl(rows: Iterable[dict], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


def spreadsheet_safe(value: object) -> tuple[object, bool]:
    """(the value as a CSV cell, whether it was changed): a text that a spreadsheet would
    run as a formula gets a single quote before it; numbers and other texts stay as they are."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value, True
    return value, False


def write_csv(rows: Iterable[dict], out: TextIO, raw: bool = False) -> tuple[int, int]:
    """Writes the rows; returns (rows, cells given a quote). ``raw``: every cell as it is."""
    names = list(export_columns())
    writer = csv.writer(out)
    writer.writerow(names)
    n = quoted = 0
    for row in rows:
        cells = []
        for name in names:
            value = row[name]
            if not raw:
                value, changed = spreadsheet_safe(value)
                quoted += changed
            cells.append("" if value is None else value)
        writer.writerow(cells)
        n += 1
    return n, quoted


def _batches(rows: Iterable[dict], max_rows: int, max_chars: int) -> Iterator[list[dict]]:
    batch, chars = [], 0
    for row in rows:
        batch.append(row)
        chars += len(row.get("text") or "")
        if len(batch) >= max_rows or chars >= max_chars:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def parquet_schema() -> pyarrow.Schema:
    import pyarrow as pa

    kinds = {str: pa.string(), int: pa.int64(), float: pa.float64()}
    return pa.schema([(name, kinds[kind]) for name, kind in export_columns().items()])


def _bad_value(batch: list[dict]) -> str:
    """Which value of a batch Arrow refused: the document, the column and the value."""
    for row in batch:
        for name, kind in export_columns().items():
            value = row.get(name)
            if value is not None and not isinstance(
                value, kind if kind is not float else (int, float)
            ):
                return f"document {row.get('id')}: {name} = {value!r:.80} is not {kind.__name__}"
    return "a value of the wrong type"


def write_parquet(
    rows: Iterable[dict],
    path: Path,
    max_rows: int = DEFAULTS["batch_rows"],
    max_chars: int = DEFAULTS["batch_chars"],
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    n = 0
    with pq.ParquetWriter(str(path), schema, compression="zstd") as writer:
        for batch in _batches(rows, max_rows, max_chars):
            try:
                writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ExportError(f"cannot write Parquet: {_bad_value(batch)} ({exc})") from None
            n += len(batch)
    return n


def output_format(output: str, fmt: str | None) -> tuple[str, bool]:
    """(format, gzip it) for ``-o output``: --format wins, else the file name's suffix."""
    gz = output.endswith(".gz")
    if fmt is None and output == "-":
        fmt = "jsonl"
    if fmt is None:
        suffix = Path(output[:-3] if gz else output).suffix.lower()
        fmt = SUFFIXES.get(suffix)
        if fmt is None:
            raise ExportError(
                f"cannot tell the format from {output!r}: give --format " + "|".join(FORMATS)
            )
    if fmt == "parquet" and (gz or output == "-"):
        raise ExportError(
            "Parquet is written to a file (compressed inside), not to "
            + ("stdout" if output == "-" else "a .gz")
        )
    return fmt, gz


def export(
    data_dir: str | Path,
    output: str,
    fmt: str | None = None,
    reports_only: bool = False,
    since: str | None = None,
    sites: Iterable[str] = (),
    base_url: str = DEFAULTS["base_url"],
    replay_prefix: str = DEFAULTS["replay_prefix"],
    raw_csv: bool = False,
) -> dict:
    """Write the export; returns {"documents": N, "format": ..., "missing_records": {file: n},
    "quoted_cells": n} (CSV text cells given a quote, None when none could be)."""
    fmt, gz = output_format(output, fmt)
    for name, value in (("--base-url", base_url), ("--replay-url", replay_prefix)):
        if not value.startswith(("http://", "https://")):
            raise ExportError(f"{name} {value!r}: an http:// or https:// URL")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ExportError("Parquet needs pyarrow: pip install -e '.[export]'") from None
    record_ids = RecordIds(Path(data_dir))
    rows = iter_documents(
        data_dir,
        reports_only,
        parse_since(since) if since else None,
        sites,
        base_url,
        replay_prefix,
        record_ids,
    )
    try:
        if output == "-":
            out = io.TextIOWrapper(
                sys.stdout.buffer, encoding="utf-8", newline="", write_through=False
            )
            n, quoted = _write_text(fmt, rows, out, raw_csv)
            out.detach()
        else:
            n, quoted = _write_file(fmt, gz, rows, Path(output), raw_csv)
    finally:
        record_ids.close()
    return {
        "documents": n,
        "format": fmt,
        "missing_records": dict(record_ids.missing),
        "quoted_cells": quoted,
    }


def _write_text(fmt: str, rows, out, raw_csv: bool) -> tuple[int, int | None]:
    quoted = None
    if fmt == "csv":
        out.write("\ufeff")  # a byte-order mark, so that spreadsheets read UTF-8
        n, quoted = write_csv(rows, out, raw_csv)
        quoted = None if raw_csv else quoted
    else:
        n = write_jsonl(rows, out)
    out.flush()
    return n, quoted


def _write_file(fmt: str, gz: bool, rows, path: Path, raw_csv: bool) -> tuple[int, int | None]:
    tmp = path.with_name(path.name + ".part")
    try:
        if fmt == "parquet":
            n, quoted = write_parquet(rows, tmp), None
        else:
            with open(tmp, "wb") as raw:
                stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if gz else raw
                with io.TextIOWrapper(stream, encoding="utf-8", newline="") as out:
                    n, quoted = _write_text(fmt, rows, out, raw_csv)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n, quoted
