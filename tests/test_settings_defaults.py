"""Settings defaults are data in crawler/settings.py, as Scrapy's are in its default_settings:
every UNION_* and WARC_* setting the crawler and the command line read is defined there, and
no read in crawler/ names a default of its own (read from the code with ast)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import crawler.settings as ours

ROOT = Path(__file__).resolve().parents[1]
READERS = {"get", "getbool", "getint", "getfloat", "getlist", "getdict"}
SETTING = re.compile(r"[A-Z][A-Z0-9_]+")


def _is_settings(node: ast.expr) -> bool:
    """A receiver that is a Scrapy Settings object here: ``s``, ``settings``, ``X.settings``."""
    if isinstance(node, ast.Name):
        return node.id in ("s", "settings")
    return isinstance(node, ast.Attribute) and node.attr == "settings"


def setting_reads(*packages: str) -> list[tuple[str, str, bool]]:
    """(file:line, setting name, whether the call gives a default) of every read."""
    out = []
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in READERS
                    and _is_settings(node.func.value)
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and SETTING.fullmatch(node.args[0].value)
                ):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                default = len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)
                out.append((where, node.args[0].value, default))
    return out


def test_the_scan_finds_the_reads_it_is_about():
    names = {name for _, name, _ in setting_reads("crawler")}
    assert {"UNION_PATTERN_CHAIN_LIMIT", "WARC_DEDUP_MIN_SIZE", "UNION_DATA_DIR"} <= names


def test_every_union_and_warc_setting_read_is_defined_in_crawler_settings():
    missing = sorted(
        (name, where)
        for where, name, _ in setting_reads("crawler", "cli")
        if name.startswith(("UNION_", "WARC_")) and not hasattr(ours, name)
    )
    assert not missing, missing


def test_no_setting_is_read_with_a_default_at_the_call():
    with_default = [(where, name) for where, name, default in setting_reads("crawler") if default]
    assert not with_default, with_default
