"""What a person sees of a crawl: the status on a terminal, plain lines in a pipe, the report.

Two real crawls of a zoo of our own, through the CLI with its default screen:
1. in a pipe (no terminal): plain progress lines on stderr, no Scrapy log there; the
   whole log in DIR/logs/crawl-ID.log; the report DIR/logs/crawl-ID.md agrees with
   archive.db, and Datasette's crawls table links it;
2. after the zoo changed (one article edited, one retitled with markup in its title,
   one deleted), a recrawl in a real terminal (tmux): the screen shows the redrawn
   status block and none of Scrapy's log lines; its report lists what changed and what
   is gone, and Datasette renders it with the hostile title escaped.
"""

from __future__ import annotations

import asyncio
import html
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import crawl_cmd
from tests.sql import rows
from tests.test_incremental import (
    _path,
    _set_body,
    edit_document,
    editable_docs,
    remove_document,
    site_of,
)

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "某区工会 | 2025年<script>alert(1)</script> *总结*"
LOG_LINES = re.compile(r"\] (DEBUG|INFO|WARNING|ERROR): |\[scrapy|\[union-archive\] ind")
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d crawl (\S+) (crawling|finished: "
    r"indexing the rest) \d+:\d\d:\d\d: (\d+) pages fetched, \d+ queued, \d+ "
    r"documents \(\d+ reports; \d+ new, \d+ changed, \d+ gone\), \d+ errors, "
    r"([\d.]+) pages/s, \d+ hosts$"
)
TMUX = shutil.which("tmux")


def _report_table(text: str, heading: str) -> list[list[str]]:
    """The rows of the Markdown table under ``## heading`` (cells unescaped)."""
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")][2:]
    return [
        [re.sub(r"\\(.)", r"\1", c).strip() for c in re.split(r"(?<!\\)\|", ln)[1:-1]]
        for ln in lines
    ]


def _tmux(sock: Path, *args) -> str:
    return subprocess.run(
        [TMUX, "-S", str(sock), *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _in_terminal(cmd: list[str], tmp: Path, timeout: float = 200) -> tuple[list[str], str, int]:
    """Run ``cmd`` in a 120x40 tmux terminal: the screens seen while it ran, the whole
    terminal at the end (scrollback included) and its exit status."""
    sock, conf, status = tmp / "tmux.sock", tmp / "tmux.conf", tmp / "status"
    conf.write_text("set -g remain-on-exit on\nset -g history-limit 20000\n")
    # the shell records the status itself: tmux's pane_dead_status may never come
    line = f"cd {shlex.quote(str(ROOT))} && {shlex.join(cmd)}; echo $? > {shlex.quote(str(status))}"
    _tmux(sock, "-f", str(conf), "new-session", "-d", "-x", "120", "-y", "40", "-s", "crawl", line)
    screens, deadline, ended = [], time.monotonic() + timeout, None
    try:
        while time.monotonic() < deadline:
            screens.append(_tmux(sock, "capture-pane", "-p", "-t", "crawl"))
            code = status.read_text().strip() if status.exists() else ""
            if code:
                ended = ended or time.monotonic()
                dead = _tmux(sock, "display", "-p", "-t", "crawl", "#{pane_dead}").strip()
                if dead == "1" or time.monotonic() - ended > 3:  # its output all drawn
                    whole = _tmux(sock, "capture-pane", "-p", "-S", "-", "-t", "crawl")
                    return screens, whole, int(code)
            time.sleep(0.1)
        raise AssertionError("the crawl in the terminal did not end:\n" + screens[-1])
    finally:
        subprocess.run([TMUX, "-S", str(sock), "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from zoo import Zoo

    data = tmp_path_factory.mktemp("progress")
    with Zoo(slow_seconds=3.0) as z:  # a slow page keeps the crawl going a few seconds
        piped = subprocess.run(
            crawl_cmd(data, z.start_urls, "-s", "UNION_PROGRESS_INTERVAL=0.5", progress=None),
            capture_output=True,
            text=True,
            timeout=300,
        )
        first = rows(data / "archive.db", "select * from crawls")
        first_docs = rows(
            data / "archive.db",
            "select site, count(*) n, sum(is_report) r from documents group by site",
        )
        news = [d for d in editable_docs(z) if "/c/" in d["url"]]
        edited, retitled, removed = news[0], news[1], news[2]
        edit_document(z, edited)
        site = site_of(z, retitled["url"])
        body = site.pages[_path(retitled["url"])].body.decode(site.encoding)
        assert retitled["title"] in body
        _set_body(
            site,
            _path(retitled["url"]),
            body.replace(retitled["title"], html.escape(HOSTILE, quote=False)),
        )
        remove_document(z, removed)
        screens, terminal, status = None, None, None
        if TMUX:
            cmd = crawl_cmd(
                data,
                z.start_urls,
                "--recheck",
                "all",
                "-s",
                "UNION_REVISIT_MAX_DAYS=400",
                progress=None,
            )
            screens, terminal, status = _in_terminal(cmd, tmp_path_factory.mktemp("tty"))
    return type(
        "Runs",
        (),
        dict(
            data=data,
            piped=piped,
            first=first[0],
            first_docs=first_docs,
            screens=screens,
            terminal=terminal,
            status=status,
            edited=edited,
            retitled=retitled,
            removed=removed,
        ),
    )


def test_a_pipe_gets_plain_progress_lines_and_no_log(runs):
    proc, crawl = runs.piped, runs.first
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert "\x1b" not in proc.stderr  # no terminal escapes in a pipe
    assert not [ln for ln in lines if LOG_LINES.search(ln)], proc.stderr[-3000:]
    progress = [LINE.match(ln) for ln in lines]
    progress = [m for m in progress if m]
    assert len(progress) >= 2, proc.stderr
    assert {m.group(1) for m in progress} == {crawl["id"]}
    assert progress[-1].group(2) == "finished: indexing the rest"
    assert int(progress[-1].group(3)) == crawl["pages"]  # every capture was counted
    others = [ln for ln in lines if not LINE.match(ln)]
    assert others[0] == (
        f"crawl {crawl['id']}: progress every 0.5 s, full log in "
        f"{runs.data / 'logs' / ('crawl-' + crawl['id'] + '.log')}"
    )
    assert all(ln.startswith(("warning: ", "error: ")) for ln in others[1:]), others
    # the whole log went to the file: Scrapy's, and what the indexer child printed
    log = (runs.data / "logs" / f"crawl-{crawl['id']}.log").read_text(encoding="utf-8")
    assert "Dumping Scrapy stats" in log and "[union-archive] indexer used" in log
    assert f"report: {runs.data / 'logs' / ('crawl-' + crawl['id'] + '.md')}" in proc.stdout


def test_the_last_line_gives_the_crawls_average_rate(tmp_path):
    """A crawl shorter than the time between two lines: its last line gives the crawl's
    average rate, not the rate of a last moment it has no second sample for (0.0)."""
    from zoo import Zoo

    with Zoo() as z:
        proc = subprocess.run(
            crawl_cmd(tmp_path / "data", z.start_urls[:1], progress=None),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    progress = [m for m in map(LINE.match, proc.stderr.splitlines()) if m]
    assert progress and progress[-1].group(2) == "finished: indexing the rest", proc.stderr
    assert int(progress[-1].group(3)) > 0
    assert float(progress[-1].group(4)) > 0, progress[-1].group(0)


def test_the_report_says_what_the_archive_holds(runs):
    crawl, db = runs.first, runs.data / "archive.db"
    text = (runs.data / "logs" / f"crawl-{crawl['id']}.md").read_text(encoding="utf-8")
    assert text.startswith(f"# Crawl {crawl['id']}\n")
    assert f"- status: {crawl['status']}\n" in text and "- duration: 0:0" in text
    counts = dict(_report_table(text, "Counts"))
    assert counts == {
        "pages fetched (captures)": str(crawl["pages"]),
        "documents": str(crawl["documents"]),
        "reports": str(crawl["reports"]),
        "new documents": str(crawl["new_documents"]),
        "changed documents": "0",
        "unchanged documents": "0",
        "gone documents": "0",
        "errors": str(crawl["errors"]),
    }
    assert crawl["documents"] > 30 and crawl["errors"] > 0
    caps = rows(
        db,
        "select url, status, error, warc_filename from captures where crawl_id = ?",
        [crawl["id"]],
    )
    errors = {kind: (int(n), url) for kind, n, url in _report_table(text, "Errors by kind")}
    assert errors["HTTP 404"][0] == sum(1 for c in caps if c["status"] == 404 and not c["error"])
    assert sum(n for n, _ in errors.values()) == sum(
        1 for c in caps if c["error"] or (c["status"] or 0) >= 400
    )
    assert any(kind.startswith("DownloadCancelledError") for kind in errors)  # the 30 MB page
    hosts = {h: [int(v) for v in rest] for h, *rest in _report_table(text, "Hosts")}
    assert {h: v[0] for h, v in hosts.items()} == Counter(urlsplit(c["url"]).netloc for c in caps)
    assert {d["site"]: [d["n"], d["r"]] for d in runs.first_docs} == {
        h: v[2:] for h, v in hosts.items() if v[2]
    }
    warcs = {c["warc_filename"] for c in caps if c["warc_filename"]}
    assert warcs and all(f"- {name}" in text.replace("\\", "") for name in warcs)


def _datasette(data):
    from archive.publish.serve import make_datasette

    return make_datasette(data)


def test_datasette_links_the_report_from_the_crawls_table(runs):
    ds, crawl_id = _datasette(runs.data), runs.first["id"]
    page = asyncio.run(ds.client.get("/archive/crawls"))
    assert page.status_code == 200
    assert f'<a href="/-/crawl-report/{crawl_id}">report</a>' in page.text
    report = asyncio.run(ds.client.get(f"/-/crawl-report/{crawl_id}"))
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert f"<h1>Crawl {crawl_id}</h1>" in report.text and "<td>HTTP 404</td>" in report.text
    raw = asyncio.run(ds.client.get(f"/-/crawl-report/{crawl_id}.md"))
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/markdown")
    assert raw.content == (runs.data / "logs" / f"crawl-{crawl_id}.md").read_bytes()
    for missing in ("20990101T000000Z-000000", "..%2Farchive", "x%00y", crawl_id + "x"):
        assert asyncio.run(ds.client.get(f"/-/crawl-report/{missing}")).status_code == 404


@pytest.mark.skipif(TMUX is None, reason="needs tmux (apt-get install tmux)")
def test_a_terminal_shows_the_status_block_and_not_the_log(runs):
    assert runs.status == 0, runs.terminal
    [second] = rows(
        runs.data / "archive.db", "select * from crawls where id != ?", [runs.first["id"]]
    )
    for screen in [*runs.screens, runs.terminal]:
        assert not LOG_LINES.search(screen), screen
    crawling = [
        s
        for s in runs.screens
        if f"union-archive crawl {second['id']}  crawling" in s
        and re.search(r"^pages +[1-9]\d* fetched", s, re.M)
    ]
    assert crawling, runs.screens[-1]
    assert re.search(
        r"^pages +\d+ fetched +\d+ queued +\d+ in flight +[\d.]+ pages/s$", crawling[-1], re.M
    ), crawling[-1]
    assert re.search(r"^host +pages +errors +documents +reports$", crawling[-1], re.M)
    assert re.search(r"^127\.0\.0\.1:\d+ +[1-9]\d* +\d+ +\d+ +\d+$", crawling[-1], re.M)
    # the last status drawn stays on the screen, above the summary: every capture counted
    final = runs.terminal
    assert f"union-archive crawl {second['id']}  finished: indexing the rest" in final
    assert re.search(rf"^pages +{second['pages']} fetched +0 queued", final, re.M), final
    port = urlsplit(runs.edited["url"]).netloc
    assert re.search(rf"^{re.escape(port)} +\d+ +\d+ +\d+ +\d+$", final, re.M), final
    assert f"crawl {second['id']} finished: {second['pages']} pages" in final
    assert f"report: {runs.data / 'logs' / ('crawl-' + second['id'] + '.md')}" in final.replace(
        "\n", ""
    )


@pytest.mark.skipif(TMUX is None, reason="needs tmux (apt-get install tmux)")
def test_the_recrawl_report_lists_changed_and_gone_documents_escaped(runs):
    [second] = rows(
        runs.data / "archive.db", "select * from crawls where id != ?", [runs.first["id"]]
    )
    text = (runs.data / "logs" / f"crawl-{second['id']}.md").read_text(encoding="utf-8")
    counts = dict(_report_table(text, "Counts"))
    assert (counts["changed documents"], counts["gone documents"]) == (
        str(second["changed"]),
        str(second["gone"]),
    )
    changed = {url: title for _id, title, url in _report_table(text, "Changed documents")}
    assert second["changed"] == len(changed) >= 2
    assert runs.edited["url"] in changed and changed[runs.retitled["url"]] == HOSTILE
    gone = {url for _id, _title, url in _report_table(text, "Gone documents")}
    assert gone == {runs.removed["url"]} and second["gone"] == 1
    page = asyncio.run(_datasette(runs.data).client.get(f"/-/crawl-report/{second['id']}"))
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *总结*" in page.text  # text, not markup
    assert "某区工会 | 2025年" in page.text  # the | stayed in its cell


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
