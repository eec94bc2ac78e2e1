"""What changed between crawls, as the published archive shows it.

* ``document_history(conn, doc_id)``: a document's earlier versions (``document_versions``),
  each with a paragraph diff against the version that replaced it, and since when its URL
  is gone (``documents.gone_at`` and the 404/410 capture that set it).
* ``crawl_changes(conn, crawl_id=None)``: what one crawl (the latest by default) found new
  (``documents.first_crawl_id``), changed (``document_versions.superseded_crawl_id``) and
  gone (its 404/410 captures that set a ``gone_at``), per site.
* ``feed_entries(conn, site)`` and ``atom_feed(...)``: the Atom feed of a site's new work
  reports, newest first, written by feedgen; entry ids are ``urn:uuid:`` names of the
  document's URL and part, so they stay the same across requests, hosts and reindexing.

Every function takes a plain sqlite3 connection (the plugin runs them in Datasette's SQL
threads with ``Database.execute_fn``) and returns plain data: the templates escape it.
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# A changed paragraph is compared character by character only up to this length, and a
# diff spends at most this many characters on such comparisons (difflib is quadratic).
PAIR_CHARS = 3000
PAIR_BUDGET = 30_000
# Two paragraphs read better as one removed and one added unless this similar, or unless
# this share of the shorter one is found in the other (a sentence added to a short one).
PAIR_SIMILARITY = 0.5
PAIR_KEPT = 0.8

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 forbids (C0 controls but tab and newlines, surrogates, U+FFFE/FFFF).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _has_columns(conn: sqlite3.Connection, table: str, *columns: str) -> bool:
    have = {row[1] for row in conn.execute(f"pragma table_info([{table}])")}
    return set(columns) <= have


# ------------------------------------------------------------------------- diffs


def paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n") if p.strip()]


def _row(kind: str, *parts: tuple[str, bool]) -> dict:
    return {"kind": kind, "parts": [{"text": t, "changed": c} for t, c in parts if t]}


def _pair_rows(old: str, new: str, budget: list[int]) -> list[dict] | None:
    """A changed paragraph as a removed and an added row with the changed characters
    marked, or None when the two are too long or too different to compare so."""
    if max(len(old), len(new)) > PAIR_CHARS or budget[0] < len(old) + len(new):
        return None
    budget[0] -= len(old) + len(new)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    kept = sum(block.size for block in matcher.get_matching_blocks())
    if matcher.ratio() < PAIR_SIMILARITY and kept < PAIR_KEPT * min(len(old), len(new)):
        return None
    removed, added = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        removed.append((old[i1:i2], tag != "equal"))
        added.append((new[j1:j2], tag != "equal"))
    return [_row("removed", *removed), _row("added", *added)]


def paragraph_diff(old: str | None, new: str | None, context: int = 1) -> list[dict]:
    """Rows of a diff over paragraphs: ``same`` (context), ``removed``, ``added`` (each
    with ``parts``: ``text`` and ``changed``, changed characters marked within a paragraph
    that was edited) and ``gap`` (``count`` unchanged paragraphs left out). Empty when the
    texts have the same paragraphs."""
    a, b = paragraphs(old), paragraphs(new)
    if a == b:
        return []
    rows: list[dict] = []
    budget, done = [PAIR_BUDGET], 0
    for group in difflib.SequenceMatcher(None, a, b).get_grouped_opcodes(context):
        if group[0][1] > done:
            rows.append({"kind": "gap", "count": group[0][1] - done})
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [_row("same", (p, False)) for p in a[i1:i2]]
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            paired = [_pair_rows(a[i1 + k], b[j1 + k], budget) for k in range(pairs)]
            if all(paired):
                rows += [r for pair in paired for r in pair]
                i1, j1 = i1 + pairs, j1 + pairs
            rows += [_row("removed", (p, True)) for p in a[i1:i2]]
            rows += [_row("added", (p, True)) for p in b[j1:j2]]
        done = group[-1][2]
    if done < len(a):
        rows.append({"kind": "gap", "count": len(a) - done})
    return rows


# -------------------------------------------------------------- a document's history


def document_history(
    conn: sqlite3.Connection, doc_id: str, chars: int = 100_000, max_versions: int = 20
) -> dict:
    """``versions`` (newest first, at most ``max_versions``; each with ``diff`` against the
    version after it, over the first ``chars`` characters of both), ``version_count``,
    ``gone`` (``since``, ``status``, ``crawl_id``; or None) and ``chars``."""
    out = {"versions": [], "version_count": 0, "gone": None, "chars": chars}
    cur = _dicts(
        conn.execute(
            "select url, title, substr(text, 1, ?) as text, gone_at from documents where id = ?",
            [chars, doc_id],
        )
    )
    if not cur:
        return out
    current = cur[0]
    if current["gone_at"]:
        hit = conn.execute(
            "select status, crawl_id from captures where url = ? and "
            "fetched_at = ? and status in (404, 410) order by id limit 1",
            [current["url"], current["gone_at"]],
        ).fetchone()
        out["gone"] = {
            "since": current["gone_at"],
            "status": hit[0] if hit else None,
            "crawl_id": hit[1] if hit else None,
        }
    if not _has_columns(conn, "document_versions", "document_id"):
        return out
    superseding = (
        "superseded_crawl_id"
        if _has_columns(conn, "document_versions", "superseded_crawl_id")
        else "null"
    )
    out["version_count"] = conn.execute(
        "select count(*) from document_versions where document_id = ?", [doc_id]
    ).fetchone()[0]
    versions = _dicts(
        conn.execute(
            "select rowid as version, title, substr(text, 1, ?) as text, length(text) as length, "
            "captured_at, crawl_id, superseded_at, "
            f"{superseding} as superseded_crawl_id, warc_filename from document_versions "
            "where document_id = ? order by rowid desc limit ?",
            [chars, doc_id, max_versions],
        )
    )
    later = current
    for v in versions:
        v["diff"] = paragraph_diff(v["text"], later["text"])
        v["title_changed"] = v["title"] != later["title"]
        v["next_title"] = later["title"]
        later = v
    for v in versions:
        del v["text"]
    out["versions"] = versions
    return out


# ------------------------------------------------------------ what a crawl changed

# What one crawl (the parameter) found, one query a kind: documents it archived first, whose
# earlier version it replaced, whose URL it found gone (a gone_at set by one of its captures).
CHANGES_SQL = {
    "new": "select site, id, title, url, first_captured_at as at from documents "
    "where first_crawl_id = ?",
    "changed": "select d.site, d.id, d.title, d.url, max(v.superseded_at) as at, "
    "count(*) as versions from document_versions v join documents d "
    "on d.id = v.document_id where v.superseded_crawl_id = ? group by d.id",
    "gone": "select d.site, d.id, d.title, d.url, d.gone_at as at, min(c.status) as status "
    "from captures c join documents d on d.url = c.url and d.gone_at = c.fetched_at "
    "where c.crawl_id = ? and c.status in (404, 410) group by d.id",
}


def crawl_changes(
    conn: sqlite3.Connection, crawl_id: str | None = None, limit: int = 500
) -> dict | None:
    """``crawl`` (its crawls row), ``crawls`` (the 20 latest, for choosing another),
    ``totals`` (how many new, changed, gone), ``sites`` (per site: ``site``, ``counts`` and
    the ``new``, ``changed``, ``gone`` documents listed, at most ``limit`` of each kind in
    all) and ``cut`` (True when some were left out); None when there is no such crawl."""
    if crawl_id:
        crawl = _dicts(conn.execute("select * from crawls where id = ?", [crawl_id]))
    else:
        crawl = _dicts(conn.execute("select * from crawls order by started_at desc limit 1"))
    if not crawl:
        return None
    crawl_id = crawl[0]["id"]
    recent = _dicts(
        conn.execute("select id, started_at, status from crawls order by started_at desc limit 20")
    )
    kinds: dict[str, list[dict]] = {"new": [], "changed": [], "gone": []}
    totals = dict.fromkeys(kinds, 0)
    if _has_columns(conn, "documents", "first_crawl_id"):
        for kind, sql in CHANGES_SQL.items():
            kinds[kind] = _dicts(
                conn.execute(
                    f"select * from ({sql}) order by site, title, id limit ?", [crawl_id, limit + 1]
                )
            )
            totals[kind] = conn.execute(f"select count(*) from ({sql})", [crawl_id]).fetchone()[0]
    cut = any(len(docs) > limit for docs in kinds.values())
    sites: dict[str, dict] = {}
    for kind, docs in kinds.items():
        for doc in docs[:limit]:
            entry = sites.setdefault(
                doc["site"], {"site": doc["site"], "new": [], "changed": [], "gone": []}
            )
            entry[kind].append(doc)
    for entry in sites.values():
        entry["counts"] = {kind: len(entry[kind]) for kind in kinds}
    return {
        "crawl": crawl[0],
        "crawls": recent,
        "totals": totals,
        "cut": cut,
        "limit": limit,
        "sites": [sites[s] for s in sorted(sites)],
    }


# ------------------------------------------------------------------------- feeds


def site_exists(conn: sqlite3.Connection, site: str) -> bool:
    return (
        conn.execute("select 1 from documents where site = ? limit 1", [site]).fetchone()
        is not None
    )


def feed_entries(conn: sqlite3.Connection, site: str, limit: int = 50) -> list[dict]:
    """The site's work reports, the most recently first archived first."""
    first = "first_captured_at" if _has_columns(conn, "documents", "first_captured_at") else "null"
    return _dicts(
        conn.execute(
            f"select id, url, part, title, org, published_date, {first} as first_captured_at, "
            "captured_at, substr(text, 1, 200) as summary from documents "
            f"where site = ? and is_report = 1 order by {first} desc, id limit ?",
            [site, limit],
        )
    )


def xml_text(value: object) -> str:
    """A string XML 1.0 can carry (crawled text may hold control characters)."""
    return NOT_XML.sub("", str(value or ""))


def _when(value: str | None) -> datetime:
    try:
        when = datetime.fromisoformat(value or "")
    except ValueError:
        return EPOCH
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def entry_id(url: str, part: int | None) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{url}#{part or 0}"))


def feed_id(site: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"union-archive:new-reports:{site}"))


def atom_feed(
    site: str, entries: list[dict], self_url: str, site_url: str, document_url: Callable[[str], str]
) -> bytes:
    """The Atom document (UTF-8 bytes); ``document_url(doc_id)`` gives an entry's link."""
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    feed.id(feed_id(site))
    feed.title(xml_text(f"New work reports: {site}"))
    feed.subtitle(xml_text(f"Trade-union work reports archived from {site}, newest first"))
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=site_url, rel="alternate", type="text/html")
    feed.author(name="union-archive")
    feed.generator("union-archive")
    feed.language("zh-CN")
    times = [_when(e["first_captured_at"] or e["captured_at"]) for e in entries]
    feed.updated(max(times, default=EPOCH))
    for e, when in zip(entries, times):
        item = feed.add_entry(order="append")
        item.id(entry_id(e["url"], e["part"]))
        item.title(xml_text(e["title"]) or "(untitled)")
        item.updated(when)
        item.published(when)
        # one link only: feedgen 1.0 writes an entry's links without rel, so a second one
        # would be a second "alternate" (invalid Atom); the page links the source
        item.link(href=document_url(e["id"]), rel="alternate", type="text/html")
        item.author(name=xml_text(e["org"] or site))
        summary = " ".join(paragraphs(xml_text(e["summary"])))
        if summary:
            item.summary(summary)
    return feed.atom_str(pretty=True, encoding="UTF-8")
