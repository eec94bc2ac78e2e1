"""The report of one crawl, ``DIR/logs/crawl-ID.md``: what a person reads after a run.

Everything in it comes from ``archive.db`` (the crawls row, its captures and documents),
so it says what the archive holds, and ``union-archive reindex`` writes it again for every
crawl it rebuilds.
Sections: the run (status, start, end, duration), its counts (pages, documents, reports,
new / changed / unchanged / gone, errors), errors by kind, hosts, the documents that
changed or went away, the start URLs and the WARC files.  Markdown, served by Datasette at
``/-/crawl-report/ID`` (``archive.publish.plugin``).
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

LISTED = 50  # changed and gone documents listed by name; the rest are counted
CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ReportError(Exception):
    pass


def report_path(data_dir: str | Path, crawl_id: str) -> Path:
    """Where the report of ``crawl_id`` is kept (a crawl id is a file name part only)."""
    if not CRAWL_ID.match(crawl_id or ""):
        raise ReportError(f"not a crawl id: {crawl_id!r}")
    return Path(data_dir) / "logs" / f"crawl-{crawl_id}.md"


def error_kind(status: int | None, error: str | None) -> str:
    """A capture's failure in a few words: the error's leading phrase (``TimeoutError``,
    ``loopback address refused``), else ``HTTP 404``; '' when it did not fail."""
    if error:
        head = error.split(": ", 1)[0].strip()
        return head if len(head) <= 60 else head[:59] + "…"
    if (status or 0) >= 400:
        return f"HTTP {status}"
    return ""


def _md(value) -> str:
    """A value as Markdown text inside a table cell: one line, markup characters escaped."""
    text = " ".join(str("" if value is None else value).split())
    return re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", text)


def _duration(started: str | None, finished: str | None, pages: int) -> str:
    try:
        seconds = int(
            (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
        )
    except (AttributeError, TypeError, ValueError):
        return "unknown"
    hours, rest = divmod(max(seconds, 0), 3600)
    rate = f" ({pages / seconds:.1f} pages/s)" if seconds > 0 else ""
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}{rate}"


def crawl_facts(db_path: str | Path, crawl_id: str) -> dict:
    """What the report says, as data: the crawls row, errors by kind, hosts, changed and
    gone documents (raises ReportError when the archive has no such crawl)."""
    path = Path(db_path)
    if not path.is_file():
        raise ReportError(f"{path} not found")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("select * from crawls where id = ?", [crawl_id]).fetchone()
        if row is None:
            raise ReportError(f"no crawl {crawl_id} in {path}")
        errors: Counter = Counter()
        first_url: dict[str, str] = {}
        hosts: dict[str, Counter] = defaultdict(Counter)
        for url, status, error in conn.execute(
            "select url, status, error from captures where crawl_id = ? order by id", [crawl_id]
        ):
            host = urlsplit(url).netloc
            hosts[host]["pages"] += 1
            kind = error_kind(status, error)
            if kind:
                errors[kind] += 1
                first_url.setdefault(kind, url)
                hosts[host]["errors"] += 1
        for site, documents, reports in conn.execute(
            "select site, count(*), coalesce(sum(is_report), 0) from documents "
            "where crawl_id = ? group by site",
            [crawl_id],
        ):
            hosts[site]["documents"] += documents
            hosts[site]["reports"] += reports
        warcs = [
            r[0]
            for r in conn.execute(
                "select distinct warc_filename from captures where crawl_id = ? and "
                "warc_filename is not null order by 1",
                [crawl_id],
            )
        ]
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        changed = []
        if "document_versions" in tables:
            changed = [
                dict(r)
                for r in conn.execute(
                    "select id, title, url from documents where crawl_id = ? and id in "
                    "(select document_id from document_versions where superseded_at >= ?) "
                    "order by title, id",
                    [crawl_id, row["started_at"] or ""],
                )
            ]
        gone = [
            dict(r)
            for r in conn.execute(
                "select distinct d.id, d.title, d.url from documents d join captures c "
                "on c.url = d.url and c.fetched_at = d.gone_at "
                "where c.crawl_id = ? and c.status in (404, 410) order by d.title, d.id",
                [crawl_id],
            )
        ]
    finally:
        conn.close()
    return {
        "crawl": dict(row),
        "errors": errors,
        "first_url": first_url,
        "hosts": dict(hosts),
        "changed": changed,
        "gone": gone,
        "warcs": warcs,
    }


def render(facts: dict) -> str:
    crawl = facts["crawl"]
    cid = crawl["id"]
    duration = _duration(crawl["started_at"], crawl["finished_at"], crawl["pages"] or 0)
    out = [
        f"# Crawl {cid}",
        "",
        f"- status: {crawl['status']}",
        f"- started: {crawl['started_at'] or 'unknown'}",
        f"- finished: {crawl['finished_at'] or 'not yet'}",
        f"- duration: {duration}",
        f"- full log: crawl-{cid}.log (beside this report)"
        if facts.get("log", True)
        else "- full log: none beside this report",
        "",
        "## Counts",
        "",
        "| | count |",
        "| --- | ---: |",
    ]
    for label, key in (
        ("pages fetched (captures)", "pages"),
        ("documents", "documents"),
        ("reports", "reports"),
        ("new documents", "new_documents"),
        ("changed documents", "changed"),
        ("unchanged documents", "unchanged"),
        ("gone documents", "gone"),
        ("errors", "errors"),
    ):
        out.append(f"| {label} | {crawl.get(key) or 0} |")
    out += ["", "## Errors by kind", ""]
    if facts["errors"]:
        out += ["| kind | captures | first URL |", "| --- | ---: | --- |"]
        for kind, n in sorted(facts["errors"].items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"| {_md(kind)} | {n} | {_md(facts['first_url'][kind])} |")
    else:
        out.append("No capture failed.")
    out += [
        "",
        "## Hosts",
        "",
        "| host | pages | errors | documents | reports |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for host, c in sorted(facts["hosts"].items(), key=lambda kv: (-kv[1]["pages"], kv[0])):
        out.append(
            f"| {_md(host)} | {c['pages']} | {c['errors']} | {c['documents']} | {c['reports']} |"
        )
    for title, docs in (("Changed documents", facts["changed"]), ("Gone documents", facts["gone"])):
        out += ["", f"## {title}", ""]
        if not docs:
            out.append("None.")
            continue
        out += ["| id | title | URL |", "| --- | --- | --- |"]
        out += [f"| {_md(d['id'])} | {_md(d['title'])} | {_md(d['url'])} |" for d in docs[:LISTED]]
        if len(docs) > LISTED:
            out += ["", f"… and {len(docs) - LISTED} more."]
    out += ["", "## Start URLs", ""]
    out += [f"- {_md(u)}" for u in (crawl["start_urls"] or "").split("\n") if u]
    out += ["", "## WARC files", ""]
    out += [f"- {_md(name)}" for name in facts["warcs"]] or ["None."]
    return "\n".join(out) + "\n"


def write_report(data_dir: str | Path, crawl_id: str) -> Path:
    """Write ``DIR/logs/crawl-ID.md`` from ``DIR/archive.db``; returns its path."""
    path = report_path(data_dir, crawl_id)
    facts = crawl_facts(Path(data_dir) / "archive.db", crawl_id)
    facts["log"] = path.with_name(f"crawl-{crawl_id}.log").is_file()  # none when the logs were lost
    text = render(facts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report
    return path
