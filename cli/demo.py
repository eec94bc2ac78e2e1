"""The demo command: the zoo's portals on loopback, crawled, archived and served."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import click

from cli.crawl import crawl_command
from cli.main import fail


@click.command()
@click.option(
    "--data",
    "data_dir",
    type=click.Path(path_type=Path),
    default=Path("data/demo"),
    show_default=True,
    help="Archive directory for the demo.",
)
@click.option("--port", type=int, default=8001, show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after building the archive.")
def demo(data_dir: Path, port: int, no_serve: bool) -> None:
    """Start the demo portals on loopback, crawl them, build the archive, serve it."""
    from zoo import Zoo

    with Zoo(slow_seconds=1.0, browser_sites=True) as z:  # guard, spa, hashspa: through Chromium
        for name, url in z.urls.items():
            click.echo(f"zoo: {name:<11} {url}")
        cmd = crawl_command(data_dir, z.start_urls, "-s", "RETRY_BACKOFF_BASE=0.2")
        started = time.monotonic()
        code = subprocess.call(cmd)
        click.echo(f"crawl took {time.monotonic() - started:.1f}s")
        if code not in (0, 1):
            fail("the demo crawl failed", code)
        if no_serve:
            return
        from archive.publish.serve import run_server

        click.echo(
            f"Datasette: http://127.0.0.1:{port}/  "
            "(Ctrl-C to stop; the zoo keeps serving meanwhile)"
        )
        run_server(data_dir, port=port)
