"""One run per data directory: DIR/.lock (crawler/lock.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from crawler.lock import EXIT_LOCKED, DataDirLock, LockedError, read_holder
from tests.conftest import run_cli

HOLD = (
    "import sys, time\n"
    "from crawler.lock import DataDirLock\n"
    "lock = DataDirLock(sys.argv[1], 'crawl', crawl_id='c-held').acquire()\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


@pytest.fixture(scope="module")
def zoo():
    """Our own zoo: the session one's flaky page must give its first 500 to test_e2e."""
    from zoo import Zoo

    with Zoo(slow_seconds=2.0) as z:
        yield z


@pytest.fixture
def holder(tmp_path):
    """Another process holding the lock of tmp_path/data."""
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    yield data, proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_crawl_refuses_with_one_line_and_exit_code(holder):
    data, proc = holder
    out = run_cli(
        "crawl", "--data", str(data), "--allow-loopback", "--start-url", "http://127.0.0.1:9/"
    )
    assert out.returncode == EXIT_LOCKED
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("union-archive: error:") and "in use by another crawl" in lines[0]
    assert f"pid {proc.pid}" in lines[0]
    assert not (data / "archive.db").exists()  # it touched nothing


def test_reindex_takes_the_lock_too(holder):
    data, _ = holder
    out = run_cli("reindex", "--data", str(data))
    assert out.returncode == EXIT_LOCKED and "in use" in out.stderr


def test_stale_lock_of_a_killed_process_is_taken_over(holder, caplog):
    data, proc = holder
    assert read_holder(data)["pid"] == str(proc.pid)
    with pytest.raises(LockedError):
        DataDirLock(data).acquire()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert read_holder(data)["pid"] == str(proc.pid)  # the dead holder's line is still there
    with caplog.at_level("WARNING"), DataDirLock(data, "crawl") as lock:
        assert lock.previous["pid"] == str(proc.pid) and lock.previous["crawl_id"] == "c-held"
        assert "stale lock" in caplog.text
        # read through our own descriptor: opening .lock again would drop a POSIX lock
        line = os.pread(lock.fd, 4096, 0).decode()
        assert f"pid={os.getpid()}" in line and "command=crawl" in line
    assert (data / ".lock").read_text() == ""  # a clean release leaves no holder


def test_a_new_owner_waits_for_the_indexer_of_a_killed_crawl(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    code = (
        "import sys, time\nfrom crawler.lock import hold_worker_lock\n"
        "hold_worker_lock(sys.argv[1])\nprint('w', flush=True)\ntime.sleep(float(sys.argv[2]))\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", code, str(data), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == "w"
        with pytest.raises(LockedError, match="indexer"):
            DataDirLock(data, worker_wait=0.5).acquire()
    finally:
        worker.kill()
        worker.wait()
    # a worker that finishes in time: the owner waits for it, then starts
    worker = subprocess.Popen(
        [sys.executable, "-c", code, str(data), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout.readline().strip() == "w"
    started = time.monotonic()
    with DataDirLock(data, worker_wait=30):
        assert time.monotonic() - started >= 0.5
    worker.wait()


def test_a_running_crawl_blocks_a_second_one(zoo, tmp_path):
    from tests.conftest import crawl_cmd

    data = tmp_path / "live"
    first = subprocess.Popen(
        crawl_cmd(data, zoo.start_urls), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while "pid=" not in ((data / ".lock").read_text() if (data / ".lock").exists() else ""):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run(
            crawl_cmd(data, zoo.start_urls), capture_output=True, text=True, timeout=60
        )
        assert second.returncode == EXIT_LOCKED, second.stderr[-2000:]
        assert f"pid {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode in (0, 3)
