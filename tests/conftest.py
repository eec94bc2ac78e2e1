"""Shared fixtures: the portal zoo on loopback and one real crawl of it; the network guard."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

# The network guard (tests/netguard/sitecustomize.py): in this process and, through
# PYTHONPATH, in every Python process the tests start; any connection or name lookup
# outside loopback is refused and logged, and the test during which it happened fails.
NETGUARD_DIR = Path(__file__).parent / "netguard"
_spec = importlib.util.spec_from_file_location("union_netguard", NETGUARD_DIR / "sitecustomize.py")
netguard = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(netguard)
# a directory of its own, readable by the tests' unprivileged subprocesses too
NETGUARD_LOG = Path(tempfile.mkdtemp(prefix="union-netguard-")) / "traffic.log"
NETGUARD_LOG.touch()
NETGUARD_LOG.parent.chmod(0o755)
NETGUARD_LOG.chmod(0o666)
os.environ[netguard.LOG_ENV] = str(NETGUARD_LOG)
# an empty tldextract cache: a public suffix list download shows up in every session
os.environ["TLDEXTRACT_CACHE"] = str(NETGUARD_LOG.parent / "tldextract")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(NETGUARD_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
netguard.install(str(NETGUARD_LOG))


def netguard_lines(since: int = 0) -> list[str]:
    """Lines the guard logged after byte ``since`` of its log."""
    with open(NETGUARD_LOG, "rb") as fh:
        fh.seek(since)
        return fh.read().decode("utf-8", "replace").splitlines()


@pytest.fixture(autouse=True)
def no_traffic_outside_loopback():
    start = NETGUARD_LOG.stat().st_size
    yield
    lines = netguard_lines(start)
    if lines:
        pytest.fail("traffic outside loopback:\n" + "\n".join(lines[:20]), pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    lines = netguard_lines()
    if lines:
        print(
            "\nnetwork guard: traffic outside loopback during the tests:\n" + "\n".join(lines[:50]),
            file=sys.stderr,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(NETGUARD_LOG.parent, ignore_errors=True)


# A test that starts portals, crawls, servers, other processes or a browser (in its own code
# or in a fixture it uses) is an integration test; the others (pure code on bytes and SQLite
# files) make the quick run: `pytest -m "not integration"`.
INTEGRATION_SIGNS = (
    "Zoo(",
    "crawl_cmd",
    "run_crawl",
    "subprocess",
    "Popen",
    "chromium",
    "playwright",
    "redis",
    "HTTPServer",
    "Hostile(",
    "make_datasette",
    "Datasette(",
    "CliRunner",
    "cli(",
    "run(",
    "serve(",
    "wayback",
    "run_export",
    "peak_rss",
    "multiprocessing",
)


def _source(obj) -> str:
    import inspect

    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _helpers(item, text: str) -> list[str]:
    """Sources of the functions of the test's own module that ``text`` calls."""
    module = getattr(item, "module", None)
    if module is None:
        return []
    return [
        _source(obj)
        for name, obj in vars(module).items()
        if callable(obj)
        and getattr(obj, "__module__", None) == module.__name__
        and re.search(rf"(?<![\w.]){re.escape(name)}\(", text)
    ]


def _starts_things(item) -> bool:
    texts = [_source(getattr(item, "function", None))]
    for name in item.fixturenames:
        for fixturedef in item._fixtureinfo.name2fixturedefs.get(name, ()):
            if name in ("zoo", "crawled", "tmp_path_factory"):
                texts.append("Zoo(" if name != "tmp_path_factory" else "")
            else:
                texts.append(_source(fixturedef.func))
    texts += [helper for text in list(texts) for helper in _helpers(item, text)]
    return any(sign in text for text in texts for sign in INTEGRATION_SIGNS)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _starts_things(item):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def quick_tests_start_no_portal(request, monkeypatch):
    """A test left out of the integration mark fails if it starts the zoo after all."""
    if request.node.get_closest_marker("integration") is None:
        from zoo.server import Zoo

        def refuse(self):
            pytest.fail(f"{request.node.nodeid} starts the zoo: mark it integration")

        monkeypatch.setattr(Zoo, "start", refuse)


@pytest.fixture(scope="session")
def zoo():
    from zoo import Zoo

    with Zoo(slow_seconds=3.0) as z:
        yield z


# the union-archive command, run from this checkout
CLI = [sys.executable, "-m", "cli.main"]


def run_cli(*args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """``union-archive ARGS`` run to its end, its output captured as text; ``kw`` go to
    subprocess.run (cwd, env, input)."""
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, **kw)


def crawl_cmd(data_dir, start_urls, *extra, progress="log"):
    """The crawl command; ``progress="log"``: Scrapy's whole log on stderr, which tests read
    (None: the command's default screen, tests/test_progress.py)."""
    from cli.crawl import crawl_command

    options = ["-s", "DOWNLOAD_TIMEOUT=10", "-s", "RETRY_BACKOFF_BASE=0.1", *extra]
    if progress:
        options += ["--progress", progress]
    return crawl_command(data_dir, start_urls, *options)


@pytest.fixture(scope="session")
def crawled(zoo, tmp_path_factory):
    """The whole zoo crawled once through the real CLI (Scrapy over HTTP, WARC, indexer)."""
    data = tmp_path_factory.mktemp("archive")
    proc = subprocess.run(
        crawl_cmd(data, zoo.start_urls), capture_output=True, text=True, timeout=900
    )
    return SimpleNamespace(data=data, proc=proc, zoo=zoo)
