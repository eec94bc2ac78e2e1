"""The live sources file: which real portals a crawl without --start-url visits."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml

KINDS = {"trs", "hanweb", "jsp", "newspaper", "wenku", "fanwen", "traditional", "spa", "other"}


RENDER_MODES = ("http", "browser")  # browser: every page through Chromium (crawler/browser.py)


class SourcesError(ValueError):
    pass


def load_sources(path: str | Path | None = None) -> list[dict]:
    """Read and validate a sources file (default: the one shipped in the package)."""
    if path is None:
        text = resources.files("crawler").joinpath("sources.yml").read_text("utf-8")
        where = "crawler/sources.yml"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise SourcesError(f"cannot read sources file {path}: {exc.strerror}") from None
        where = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourcesError(f"{where}: not valid YAML ({exc.__class__.__name__})") from None
    sources = (data or {}).get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, list) or not sources:
        raise SourcesError(f"{where}: expected a non-empty 'sources:' list")
    names = set()
    for i, src in enumerate(sources):
        if not isinstance(src, dict):
            raise SourcesError(f"{where}: source #{i + 1} is not a mapping")
        for key in ("name", "url", "kind"):
            if not src.get(key):
                raise SourcesError(f"{where}: source #{i + 1} has no {key!r}")
        parts = urlsplit(src["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SourcesError(f"{where}: source {src['name']!r} has no http(s) URL")
        if src["kind"] not in KINDS:
            raise SourcesError(f"{where}: source {src['name']!r} has unknown kind {src['kind']!r}")
        if src.get("render", "http") not in RENDER_MODES:
            raise SourcesError(
                f"{where}: source {src['name']!r} has unknown render "
                f"{src['render']!r} (one of {', '.join(RENDER_MODES)})"
            )
        if src["name"] in names:
            raise SourcesError(f"{where}: duplicate source name {src['name']!r}")
        names.add(src["name"])
    return sources
