"""`zoo serve`: start every zoo site on 127.0.0.1 and keep serving until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading

import click


@click.group()
def zoo() -> None:
    """Local union portals with ground truth (tests, demo, benchmarks)."""


@zoo.command()
@click.option(
    "--large-pages",
    type=int,
    default=0,
    show_default=True,
    help="Also serve the generated large portal with this many articles.",
)
@click.option(
    "--truth",
    "truth_path",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the ground truth (JSON) to this file.",
)
@click.option(
    "--host",
    type=click.Choice(["127.0.0.1"]),
    default="127.0.0.1",
    show_default=True,
    help="Only loopback is served.",
)
@click.option(
    "--slow-seconds",
    type=float,
    default=3.0,
    show_default=True,
    help="How long the slow page sleeps.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of the large portal.")
@click.option(
    "--browser-sites",
    is_flag=True,
    help="Also serve guard (JS cookie challenge), spa and hashspa (single-page apps).",
)
def serve(
    large_pages: int,
    truth_path: str | None,
    host: str,
    slow_seconds: float,
    seed: int,
    browser_sites: bool,
) -> None:
    """Start all sites, print each site's name and URL, run until Ctrl-C."""
    from . import Zoo

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C / kill: leave the loop cleanly
        signal.signal(signum, lambda *_: stop.set())
    with Zoo(
        large_pages=large_pages,
        slow_seconds=slow_seconds,
        host=host,
        seed=seed,
        browser_sites=browser_sites,
    ) as z:
        for name, url in z.urls.items():
            click.echo(f"{name:<11} {url}")
        if truth_path:
            z.write_truth(truth_path)
            click.echo(f"ground truth: {truth_path} ({len(z.truth['documents'])} documents)")
        sys.stdout.flush()
        click.echo("serving; Ctrl-C to stop", err=True)
        while not stop.wait(0.5):
            pass


def main() -> None:  # python -m zoo.cli
    zoo()


if __name__ == "__main__":
    main()
