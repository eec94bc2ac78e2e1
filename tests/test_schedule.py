"""`union-archive schedule`: a real crontab entry (installed, run by sh as cron would,
listed, removed), systemd user units, and the foreground scheduler crawling the zoo."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import run_cli

NAME = "pytest-union-sched"


def crawls(data):
    conn = sqlite3.connect(data / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("select * from crawls order by started_at")]
    finally:
        conn.close()


def small_site(zoo):
    return zoo.truth["sites"]["mislabeled"]["start_url"]


CRAWL_ARGS = ("--allow-loopback", "--delay", "0", "-s", "RETRY_BACKOFF_BASE=0.1")


@pytest.fixture(scope="module")
def zoo():
    """Our own zoo: the session one's flaky page must give its first 500 to test_e2e."""
    from zoo import Zoo

    with Zoo(slow_seconds=2.0) as z:
        yield z


@pytest.fixture
def user_crontab():
    """The real crontab of this user, restored afterwards (others' lines are never touched)."""
    if not shutil.which("crontab"):
        pytest.skip("cron is not installed (apt-get install cron)")
    before = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    yield
    if before.returncode == 0:
        subprocess.run(["crontab", "-"], input=before.stdout, text=True, check=True)
    else:
        subprocess.run(["crontab", "-r"], capture_output=True)


def test_crontab_install_runs_lists_and_removes(user_crontab, zoo, tmp_path):
    subprocess.run(
        ["crontab", "-"], input="# someone else's line\n0 1 * * * true\n", text=True, check=True
    )
    data = tmp_path / "nightly archive"  # a space: the line must quote it
    install = ["schedule", "install", "--data", str(data), "--cron", "30 2 * * *", "--name", NAME]
    install += ["--", "--start-url", small_site(zoo), *CRAWL_ARGS]
    out = run_cli(*install)
    assert out.returncode == 0, out.stderr
    table = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout
    [line] = [l for l in table.splitlines() if NAME in l]
    assert line.startswith("30 2 * * * ") and "0 1 * * * true" in table
    # installing again replaces the entry instead of adding a second one
    assert run_cli(*install).returncode == 0
    table = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout
    assert sum(NAME in l for l in table.splitlines()) == 1
    # what cron would run: the command part of the line, by /bin/sh, from another directory
    command = line.split(None, 5)[5]
    proc = subprocess.run(
        ["/bin/sh", "-c", command],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    [row] = crawls(data)
    assert row["status"] == "finished" and row["documents"] > 0
    assert "finished" in (data / "logs" / "schedule.log").read_text()
    listed = run_cli("schedule", "list")
    assert f"cron     {NAME}  30 2 * * *  {data}" in listed.stdout
    assert run_cli("schedule", "remove", NAME).returncode == 0
    table = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    assert NAME not in table and "0 1 * * * true" in table
    assert run_cli("schedule", "remove", NAME).returncode == 1


def test_systemd_units_written_listed_removed(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    data = tmp_path / "data"
    out = run_cli(
        "schedule",
        "install",
        "--data",
        str(data),
        "--cron",
        "15 3 * * 1",
        "--name",
        NAME,
        "--systemd",
        "--",
        "--sources",
        "sources.yml",
        env=env,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    units = tmp_path / "cfg" / "systemd" / "user"
    service = configparser.ConfigParser(interpolation=None)
    service.read(units / f"union-archive-{NAME}.service")
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(units / f"union-archive-{NAME}.timer")
    assert timer["Timer"]["OnCalendar"] == "Mon *-*-* 3:15:00"
    assert timer["Install"]["WantedBy"] == "timers.target"
    exec_start = shlex.split(service["Service"]["ExecStart"])
    assert exec_start[1:5] == ["-m", "cli.main", "crawl", "--data"]
    assert exec_start[-1] == str(tmp_path / "sources.yml")  # made absolute
    assert service["Service"]["Type"] == "oneshot"
    assert "systemctl --user enable --now" in out.stdout
    assert f"systemd  {NAME}  Mon *-*-* 3:15:00" in run_cli("schedule", "list", env=env).stdout
    assert run_cli("schedule", "remove", NAME, env=env).returncode == 0
    assert not list(units.iterdir())
    bad = run_cli(
        "schedule",
        "install",
        "--data",
        str(data),
        "--cron",
        "*/5 * * * *",
        "--systemd",
        "--print",
        env=env,
    )
    assert bad.returncode == 2 and "--on-calendar" in bad.stderr
    assert run_cli("schedule", "install", "--data", str(data), "--cron", "nonsense").returncode == 2


def test_foreground_scheduler_runs_crawls_one_after_another(zoo, tmp_path):
    data = tmp_path / "fg"
    out = run_cli(
        "schedule",
        "run",
        "--data",
        str(data),
        "--cron",
        "* * * * * */2",
        "--max-runs",
        "2",
        "--",
        "--start-url",
        small_site(zoo),
        *CRAWL_ARGS,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    rows = crawls(data)
    assert [r["status"] for r in rows] == ["finished", "finished"]
    assert rows[1]["started_at"] >= rows[0]["finished_at"]  # never overlapping
    assert rows[0]["new_documents"] > 0 and rows[1]["new_documents"] == 0
    assert "schedule: stopped after 2 runs" in out.stderr


def test_sigterm_to_the_scheduler_stops_its_crawl_cleanly(zoo, tmp_path):
    data = tmp_path / "term"
    traps = zoo.truth["sites"]["traps"]["start_url"]  # holds the slow page
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "schedule",
            "run",
            "--data",
            str(data),
            "--now",
            "--cron",
            "0 0 1 1 *",
            "--",
            "--start-url",
            traps,
            *CRAWL_ARGS,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    lock = data / ".lock"
    while not (lock.exists() and "pid=" in lock.read_text()):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    assert "run 1 interrupted (exit 3" in err
    [row] = crawls(data)
    assert row["status"] == "interrupted"
    assert (data / "jobs" / row["id"] / "clean-shutdown").exists()
