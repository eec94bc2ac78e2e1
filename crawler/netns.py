"""Chromium in a network namespace of its own: a namespace with nothing but a loopback
interface, made by util-linux's ``unshare``, so that no channel Playwright's routes do not
see (WebRTC, DNS prefetch, anything a flag does not stop) can reach a host.  Playwright
talks to Chromium over pipes and answers every page request from Scrapy, so Chromium
needs no network of its own."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

WRAPPER_NAME = "chromium-netns"


def unshare_options(euid: int) -> list[list[str]]:
    """The ``unshare`` options to try, in order: root makes the namespace itself; anyone
    else needs a user namespace (where the kernel allows them) to hold it."""
    user = ["--map-root-user", "--net"]
    return [["--net"], user] if euid == 0 else [user]


def namespace_prefix(unshare: str | None = None) -> tuple[list[str] | None, str]:
    """The command prefix that runs a program in a network namespace of its own, tried here
    with ``true``; or None and why it cannot be made."""
    unshare = unshare or shutil.which("unshare")
    if not unshare or not os.access(unshare, os.X_OK):
        return None, "unshare not found (util-linux)"
    why = ""
    for options in unshare_options(os.geteuid()):
        prefix = [unshare, *options, "--"]
        try:
            proc = subprocess.run(prefix + ["true"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            why = f"{shlex.join(prefix)} failed: {exc}"
            continue
        if proc.returncode == 0:
            return prefix, ""
        said = " ".join(proc.stderr.split())[:200] or f"exit status {proc.returncode}"
        why = f"{shlex.join(prefix)} failed: {said}"
    return None, why


def write_wrapper(directory: Path, prefix: list[str], executable: str) -> Path:
    """An executable script in ``directory`` that runs ``executable`` with its arguments
    under ``prefix`` (exec all the way, so Playwright's process is Chromium itself)."""
    path = Path(directory) / WRAPPER_NAME
    path.write_text(f'#!/bin/sh\nexec {shlex.join([*prefix, executable])} "$@"\n')
    path.chmod(0o700)
    return path
