"""How the archive's worker processes behave beside a crawl."""

from __future__ import annotations

import os
import signal


def as_crawl_child(nice: int) -> None:
    """A child process of the crawler: niced (the crawl has the CPU first: extraction
    catches up, never stalls it) and deaf to SIGINT/SIGTERM (the crawler decides when we
    stop)."""
    if nice:
        os.nice(nice)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
