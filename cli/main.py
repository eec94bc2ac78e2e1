"""`union-archive` command line.

Subcommands are loaded lazily (``LazyGroup``) so that `union-archive --help`
is fast and each command lives beside the code it drives.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click

LAZY = {
    "crawl": "cli.crawl:crawl",
    "reindex": "cli.reindex:reindex",
    "search-index": "cli.reindex:search_index_command",
    "demo": "cli.demo:demo",
    "serve": "cli.publish:serve_command",
    "zoo": "zoo.cli:zoo",
    "eval": "cli.evaluate:eval_command",
    "record": "cli.warc:record_command",
    "wacz": "cli.publish:wacz_command",
    "schedule": "cli.schedule:schedule",
    "verify": "cli.warc:verify_command",
    "export": "cli.publish:export_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY:
            module, attr = LAZY[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="union-archive")
def main() -> None:
    """Archive Chinese trade-union work reports: crawl, capture to WARC, extract, publish."""


def fail(message: str, code: int = 2) -> NoReturn:
    """A clear one-line error and a non-zero exit, no traceback."""
    click.echo(f"union-archive: error: {message}", err=True)
    sys.exit(code)


def writable_dir(path: Path) -> None:
    """Create ``path`` if needed; a one-line error (exit 2) when it cannot be written to."""
    import tempfile

    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        fail(f"cannot write to {path}: {exc.strerror or exc}")


def data_option(f: Callable) -> Callable:
    return click.option(
        "--data",
        "data_dir",
        required=True,
        type=click.Path(path_type=Path),
        help="Archive directory (warc/, archive.db, logs/).",
    )(f)


if __name__ == "__main__":
    main()
