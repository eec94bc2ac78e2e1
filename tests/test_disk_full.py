"""A full disk: crawls of the zoo into a small tmpfs of their own, mounted by the test.

A crawl stops cleanly when the free space falls below UNION_MIN_FREE_SPACE (interrupted,
resumable, one line saying why), and also when a write fails because the disk really
is full; a crawl does not start on a disk that is still full; once there is room again
`crawl --resume` completes the archive.  Skipped where a tmpfs cannot be mounted (not root).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager

import pytest

from tests.conftest import crawl_cmd
from tests.sql import rows


@pytest.fixture(scope="module")
def zoo():
    """A zoo of this module's own: the session's counts the requests of its one crawl."""
    from zoo import Zoo

    with Zoo(slow_seconds=1.0) as z:
        yield z


@contextmanager
def small_disk(path, size: str):
    path.mkdir()
    try:
        proc = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        pytest.skip("no mount command here")
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def grow(path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("union-archive: error:")]


def warcs_are_whole(data):
    assert not list((data / "warc").glob("*.open"))
    files = sorted((data / "warc").glob("*.warc.gz"))
    assert files
    proc = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, files)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def gold(zoo):
    return {(d["url"], d["part"] or 0) for d in zoo.truth["documents"] if d.get("reachable", True)}


def resumed_to_the_end(data, zoo, crawl_id):
    proc = run(crawl_cmd(data, [], "--resume", "-s", "UNION_MIN_FREE_SPACE=1000000"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    db = data / "archive.db"
    [crawl] = rows(db, "select * from crawls")
    assert crawl["id"] == crawl_id and crawl["status"] == "finished"
    have = {(r["url"], r["part"]) for r in rows(db, "select url, part from documents")}
    assert not gold(zoo) - have, gold(zoo) - have
    warcs_are_whole(data)


def test_low_space_stops_the_crawl_cleanly_and_it_resumes(zoo, tmp_path):
    with small_disk(tmp_path / "disk", "3m") as disk:
        data = disk / "archive"
        proc = run(crawl_cmd(data, zoo.start_urls, "-s", "UNION_MIN_FREE_SPACE=2000000"))
        assert proc.returncode == 3, proc.stderr[-3000:]
        [line] = error_lines(proc.stderr)
        assert proc.stderr.rstrip().endswith(line)
        assert "the crawl stopped: only" in line and "UNION_MIN_FREE_SPACE" in line
        assert line.endswith(f"union-archive crawl --data {data} --resume")
        assert "No space left on device" not in proc.stderr  # stopped before the wall
        [crawl] = rows(data / "archive.db", "select * from crawls")
        assert crawl["status"] == "interrupted" and crawl["finished_at"]
        done = {
            (r["url"], r["part"])
            for r in rows(data / "archive.db", "select url, part from documents")
        }
        assert crawl["pages"] > 0 and gold(zoo) - done  # it stopped part way
        warcs_are_whole(data)
        # while the disk is still short, a crawl does not start: one line, no traceback
        # (the reserve set above what is free now: the stopped crawl's children may have
        # given back some space since it stopped)
        short = shutil.disk_usage(disk).free + 1_000_000
        again = run(crawl_cmd(data, [], "--resume", "-s", f"UNION_MIN_FREE_SPACE={short}"))
        assert again.returncode == 2
        [line] = error_lines(again.stderr)
        assert again.stderr.strip() == line and "not starting: only" in line
        grow(disk, "64m")
        resumed_to_the_end(data, zoo, crawl["id"])


def test_a_write_on_a_full_disk_stops_the_crawl_cleanly(zoo, tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        data = disk / "archive"
        # no reserve: the crawl runs into the wall (as when another program fills the disk)
        proc = run(crawl_cmd(data, zoo.start_urls, "-s", "UNION_MIN_FREE_SPACE=0"))
        assert proc.returncode == 3, proc.stderr[-3000:]
        [line] = error_lines(proc.stderr)
        assert proc.stderr.rstrip().endswith(line)
        assert "the crawl stopped: cannot write" in line and "No space left on device" in line
        warcs_are_whole(data)  # the exchange that did not fit was cut away
        [crawl] = rows(data / "archive.db", "select id from crawls")
        # the next crawl, with the default reserve, says the disk is full instead of failing
        again = run(crawl_cmd(data, [], "--resume"))
        assert again.returncode == 2 and "Traceback" not in again.stderr
        [line] = error_lines(again.stderr)
        assert again.stderr.strip() == line and "not starting: only" in line
        grow(disk, "64m")
        resumed_to_the_end(data, zoo, crawl["id"])
