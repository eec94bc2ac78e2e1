"""Commands that publish the archive: serve it, export its documents, package a crawl."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click

from archive.publish.export import DEFAULTS, FORMATS, ExportError, export
from archive.publish.serve import ArchiveMissing, archive_path, run_server
from archive.publish.wacz import build_wacz, crawl_files
from cli.main import data_option, fail


@click.command("serve")
@data_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0 to publish on the network).",
)
@click.option("--allow-sql", is_flag=True, help="Allow arbitrary read-only SQL queries.")
def serve_command(data_dir: Path, port: int, host: str, allow_sql: bool) -> None:
    """Publish DATA/archive.db with Datasette (read-only)."""

    try:
        archive_path(data_dir)
    except ArchiveMissing as exc:
        fail(str(exc))
    search_in_step(data_dir)
    click.echo(
        f"Datasette: http://{host}:{port}/  ({'SQL allowed' if allow_sql else 'SQL off'}; "
        "Ctrl-C to stop)",
        err=True,
    )
    run_server(data_dir, port=port, host=host, allow_sql=allow_sql)


def search_in_step(data_dir: Path) -> None:
    """The search index brought in step before serving (an archive of an earlier version, or
    copied without its index), unless a crawl holds the directory: it keeps the index itself."""
    from archive.store import schema as store
    from archive.store import search
    from crawler.lock import DataDirLock, LockedError

    def progress(done: int, left: int) -> None:
        click.echo(f"search index: {done:,} written, {left:,} left", err=True)

    try:
        lock = DataDirLock(data_dir, "serve").acquire()
    except (LockedError, OSError):  # a crawl runs, or the directory is read-only
        return
    try:
        db = store.connect(Path(data_dir) / "archive.db")
        try:
            search.ensure_search(db)
            search.sync_search(db, progress=progress)
        finally:
            db.conn.close()
    finally:
        lock.release()


@click.command("export")
@data_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Output format (default: from the file name: .jsonl, .csv, .parquet; jsonl for stdout).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="FILE",
    help="Output file; '-' for stdout (jsonl, csv); a name ending in .gz is gzipped.",
)
@click.option("--reports-only", is_flag=True, help="Only work reports (is_report = 1).")
@click.option(
    "--since",
    metavar="DATE",
    help="Only documents captured on or after DATE (YYYY-MM-DD or ISO 8601 time).",
)
@click.option(
    "--site",
    "sites",
    multiple=True,
    metavar="HOST",
    help="Only documents of this site (HOST or HOST:PORT; repeatable).",
)
@click.option(
    "--base-url",
    default=DEFAULTS["base_url"],
    show_default=True,
    metavar="URL",
    help="Where the archive is published (`union-archive serve`): record_url and "
    "the citation point there.",
)
@click.option(
    "--replay-url",
    "replay_prefix",
    default=DEFAULTS["replay_prefix"],
    show_default=True,
    metavar="PREFIX",
    help="Wayback-style replay collection (pywb): replay_url is PREFIX/TIMESTAMP/URL.",
)
@click.option(
    "--raw-csv",
    is_flag=True,
    help="CSV: write every cell as archived; by default a text cell that a spreadsheet would "
    "run as a formula (= + - @, tab, CR first) gets a ' before it.",
)
def export_command(
    data_dir: Path,
    fmt: str | None,
    output: str,
    reports_only: bool,
    since: str | None,
    sites: tuple[str, ...],
    base_url: str,
    replay_prefix: str,
    raw_csv: bool,
) -> None:
    """Export the documents with provenance and citation (JSON Lines, CSV, Parquet)."""

    try:
        summary = export(
            data_dir, output, fmt, reports_only, since, sites, base_url, replay_prefix, raw_csv
        )
    except ExportError as exc:
        fail(str(exc))
    except sqlite3.Error as exc:
        fail(f"cannot read {Path(data_dir) / 'archive.db'}: {exc}")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    target = "stdout" if output == "-" else output
    cells = ""
    if summary["format"] == "csv":
        cells = (
            "; cells as archived (--raw-csv): formulas are not neutralised"
            if raw_csv
            else f"; {summary['quoted_cells']} text cells that a spreadsheet would run as "
            "formulas begin with '"
        )
    click.echo(
        f"exported {summary['documents']} documents ({summary['format']}{cells}) to {target}",
        err=True,
    )
    missing = summary["missing_records"]
    if missing:
        click.echo(
            f"union-archive: warning: the WARC record of {sum(missing.values())} "
            f"documents could not be read (warc_record_id left empty): "
            + ", ".join(sorted(missing)[:5])
            + (" ..." if len(missing) > 5 else ""),
            err=True,
        )


@click.command("wacz")
@data_option
@click.option("--crawl", "crawl_id", default=None, help="Crawl id (default: the latest crawl).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="WACZ file to write (default: DIR/wacz/CRAWL_ID.wacz).",
)
def wacz_command(data_dir: Path, crawl_id: str | None, output: Path | None) -> None:
    """Package a crawl's WARC files as a WACZ (WARCs, CDXJ, pages.jsonl, datapackage.json)."""
    crawl_id, files, info = crawl_files(Path(data_dir), crawl_id)
    out = output or Path(data_dir) / "wacz" / f"{crawl_id}.wacz"
    build_wacz(
        files,
        out,
        title=f"union-archive crawl {crawl_id}",
        description=info.get("description"),
        start_urls=info.get("start_urls"),
    )
    click.echo(str(out))
