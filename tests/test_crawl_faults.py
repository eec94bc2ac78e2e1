"""Bad input during a crawl gets a clear error or a recorded failure, never a crash."""
from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.conftest import crawl_cmd


def test_timeout_is_recorded_as_a_failure(zoo, tmp_path):
    slow = zoo.truth["faults"]["slow"]
    proc = subprocess.run(crawl_cmd(tmp_path, [slow], "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=1"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    conn = sqlite3.connect(tmp_path / "archive.db")
    rows = conn.execute("select status, error, record_type, warc_filename from captures where url = ?",
                        [slow]).fetchall()
    assert len(rows) == 2                      # first try and one retry, both recorded
    for status, error, record_type, warc in rows:
        assert status is None and "took longer than 1.0 seconds" in error
        assert record_type == "failure" and warc.endswith(".warc.gz")
    assert conn.execute("select errors, status from crawls").fetchone() == (2, "finished")


def test_unreachable_host_is_a_one_line_error(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                    # nothing listens there now
    proc = subprocess.run(crawl_cmd(tmp_path, [f"http://127.0.0.1:{port}/"]),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"union-archive: error: cannot reach 127.0.0.1:{port}: "
                                   "Connection refused")


def test_loopback_needs_an_explicit_allow(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "--data", str(tmp_path),
                           "--start-url", "http://127.0.0.1:9/"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--allow-loopback" in proc.stderr


def test_bad_arguments_are_clear(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "--data", str(tmp_path),
                           "--start-url", "ftp://example.org/"], capture_output=True, text=True)
    assert proc.returncode == 2 and "not an http(s) URL" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "crawl", "--data", str(tmp_path),
                           "--max-pages", "-3"], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "archive.cli", "reindex", "--data", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "no WARC files" in proc.stderr
