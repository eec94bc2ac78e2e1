"""Commands on the WARC files: one document's record, and the archive's checks."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.warc.read import write_single_record
from archive.warc.verify import verify
from cli.main import data_option, fail


@click.command("record")
@click.argument("doc_id")
@data_option
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: DOC_ID.warc.gz in the current directory).",
)
def record_command(doc_id: str, data_dir: Path, output: Path | None) -> None:
    """Write the WARC record a document came from as a one-record .warc.gz."""
    import sqlite3

    db_path = Path(data_dir) / "archive.db"
    if not db_path.exists():
        fail(f"no archive at {db_path}")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "select warc_filename, warc_offset, warc_length from documents where id = ?",
            [doc_id],
        ).fetchone()
    finally:
        conn.close()
    if not row:
        fail(f"no document {doc_id!r} in {db_path}")
    if row[0] is None:
        fail(f"document {doc_id} has no WARC record")
    from archive.warc.dirs import WarcLocator

    name = Path(row[0]).name
    out = output or Path(f"{doc_id}.warc.gz")
    try:
        write_single_record(WarcLocator(data_dir).path(name), row[1], row[2], out)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    click.echo(str(out))


@click.command("verify")
@data_option
def verify_command(data_dir: Path) -> None:
    """Check the WARC files, the CDXJ indexes and archive.db against each other.

    Exit status 0 when all is well; 1 with the problems found and the command that
    repairs each (run them in the order given); 75 while a crawl holds the archive."""
    from crawler.lock import EXIT_LOCKED, DataDirLock, LockedError
    from crawler.middlewares import check_url

    if not Path(data_dir).is_dir():
        fail(f"no archive at {data_dir}")
    try:
        with DataDirLock(data_dir, "verify"):
            problems, notes, counts = verify(data_dir, check_url)
    except LockedError as exc:
        fail(str(exc), EXIT_LOCKED)
    click.echo(
        f"verified {data_dir}: {counts['files']} WARC file(s), {counts['records']} "
        f"records, {counts['indexes']} CDXJ index(es), archive.db"
    )
    for note in notes:
        click.echo(f"note: {note}")
    if not problems:
        click.echo("all well")
        return
    click.echo(f"{len(problems)} problem(s); repair them in this order:")
    for i, p in enumerate(problems, 1):
        click.echo(f"{i}. {p.text}\n   fix: {p.fix}")
    sys.exit(1)
