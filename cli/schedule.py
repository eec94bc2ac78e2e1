"""`union-archive schedule`: recurring crawls of one data directory.

* ``install``  a crontab line (``crontab -``), or with ``--systemd`` a user timer and
  service in ``~/.config/systemd/user/`` (``--print`` only shows them);
* ``list`` / ``remove NAME``  what ``install`` made (crontab lines carry a marker);
* ``run``  a foreground scheduler for containers: cron expressions (croniter), each
  run a ``union-archive crawl`` subprocess, one at a time (a run that overruns makes
  the missed times collapse into the next one; never two at once).  SIGTERM/SIGINT
  are passed to a running crawl, which stops cleanly (resumable), then the scheduler exits.

Everything after ``--`` is handed to ``union-archive crawl`` as it is, e.g.
``union-archive schedule install --data /srv/archive --cron "30 2 * * *" -- --sources s.yml``.
See docs/scheduling.md.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from cli.main import data_option, fail

MARKER = "# union-archive schedule"
UNIT_PREFIX = "union-archive-"
DEFAULT_CRON = "30 2 * * *"  # nightly, 02:30


def crawl_command(data_dir: Path, crawl_args: tuple[str, ...] = ()) -> list[str]:
    args = list(crawl_args)
    for i, arg in enumerate(args[:-1]):  # cron and systemd start elsewhere: absolute paths
        if arg == "--sources":
            args[i + 1] = str(Path(args[i + 1]).resolve())
    return [
        sys.executable,
        "-m",
        "cli.main",
        "crawl",
        "--data",
        str(Path(data_dir).resolve()),
        *args,
    ]


def _name(name: str | None, data_dir: Path) -> str:
    name = name or Path(data_dir).resolve().name or "archive"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        fail(f"schedule name may only hold letters, digits, '.', '_' and '-': {name!r}")
    return name


def _check_cron(expr: str) -> str:
    from croniter import croniter

    if not croniter.is_valid(expr):
        fail(f"not a cron expression: {expr!r} (e.g. '30 2 * * *': every night at 02:30)")
    return expr


# -- crontab ------------------------------------------------------------------------------
def _crontab_bin() -> str:
    path = shutil.which("crontab")
    if not path:
        fail(
            "no crontab command here: install cron (apt-get install cron), use --systemd, "
            "or run `union-archive schedule run` in the foreground"
        )
    return path


def read_crontab() -> list[str]:
    proc = subprocess.run([_crontab_bin(), "-l"], capture_output=True, text=True)
    if proc.returncode != 0:
        if "no crontab" in proc.stderr.lower():
            return []
        fail(f"crontab -l failed: {proc.stderr.strip()}")
    return proc.stdout.splitlines()


def write_crontab(lines: list[str]) -> None:
    text = "\n".join(lines) + ("\n" if lines else "")
    proc = subprocess.run([_crontab_bin(), "-"], input=text, capture_output=True, text=True)
    if proc.returncode != 0:
        fail(f"crontab - failed: {proc.stderr.strip()}")


def cron_line(expr: str, name: str, data_dir: Path, crawl_args: tuple[str, ...]) -> str:
    data_dir = Path(data_dir).resolve()
    log = data_dir / "logs" / "schedule.log"
    cmd = " ".join(shlex.quote(a) for a in crawl_command(data_dir, crawl_args))
    # cron runs /bin/sh; '%' is special in crontab lines
    line = (
        f"{expr} mkdir -p {shlex.quote(str(log.parent))} && {cmd} >> {shlex.quote(str(log))} 2>&1"
    ).replace("%", r"\%")
    return f"{line} {MARKER} {name} data={data_dir}"


def _entry_name(line: str) -> str | None:
    if MARKER not in line:
        return None
    return line.split(MARKER, 1)[1].split()[0]


# -- systemd ------------------------------------------------------------------------------
def systemd_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def on_calendar(expr: str) -> str | None:
    """A 5-field cron expression with plain numbers, lists or '*' as systemd OnCalendar."""
    fields = expr.split()
    if len(fields) != 5:
        return None
    minute, hour, dom, month, dow = fields
    simple = re.compile(r"^(\*|\d+(,\d+)*)$")
    if not all(simple.match(f) for f in fields):
        return None
    days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    wd = "" if dow == "*" else ",".join(days[int(d) % 7] for d in dow.split(",")) + " "
    mm = "*" if minute == "*" else minute.zfill(2) if "," not in minute else minute
    return f"{wd}*-{month}-{dom} {hour}:{mm}:00"


def systemd_units(
    expr: str, name: str, data_dir: Path, crawl_args: tuple[str, ...], calendar: str | None = None
) -> dict[str, str]:
    calendar = calendar or on_calendar(expr)
    if not calendar:
        fail(f"cannot turn {expr!r} into a systemd OnCalendar= value: pass --on-calendar")
    cmd = " ".join(shlex.quote(a) for a in crawl_command(data_dir, crawl_args))
    data_dir = Path(data_dir).resolve()
    service = (
        f"[Unit]\nDescription=union-archive crawl {name} ({data_dir})\n\n"
        f"[Service]\nType=oneshot\nWorkingDirectory={data_dir}\nExecStart={cmd}\n"
        "# SIGTERM stops the crawl cleanly; `union-archive crawl --resume` continues it\n"
        "KillSignal=SIGTERM\nTimeoutStopSec=120\n"
        "SuccessExitStatus=3 75\n"
    )
    timer = (
        f"[Unit]\nDescription=union-archive crawl {name}: {calendar}\n\n"
        f"[Timer]\nOnCalendar={calendar}\nPersistent=true\nRandomizedDelaySec=300\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT_PREFIX}{name}.service": service, f"{UNIT_PREFIX}{name}.timer": timer}


# -- commands -------------------------------------------------------------------------------
@click.group()
def schedule() -> None:
    """Recurring crawls: crontab, systemd user timer, or a foreground scheduler."""


@schedule.command(context_settings={"ignore_unknown_options": True})
@data_option
@click.option(
    "--cron", "expr", default=DEFAULT_CRON, show_default=True, help="When (cron expression)."
)
@click.option("--name", default=None, help="Name of this schedule (default: the data dir's name).")
@click.option(
    "--systemd", is_flag=True, help="Write a user timer + service instead of a crontab line."
)
@click.option(
    "--on-calendar", default=None, help="systemd OnCalendar= value (default: from --cron)."
)
@click.option(
    "--print", "print_only", is_flag=True, help="Show what would be installed, change nothing."
)
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED)
def install(
    data_dir: Path,
    expr: str,
    name: str | None,
    systemd: bool,
    on_calendar: str | None,
    print_only: bool,
    crawl_args: tuple[str, ...],
) -> None:
    """Install a recurring crawl of DIR (arguments after -- go to `crawl`)."""
    name = _name(name, data_dir)
    expr = _check_cron(expr)
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    if systemd:
        units = systemd_units(expr, name, data_dir, crawl_args, on_calendar)
        target = systemd_dir()
        for fname, text in units.items():
            if print_only:
                click.echo(f"# {target / fname}\n{text}")
            else:
                target.mkdir(parents=True, exist_ok=True)
                (target / fname).write_text(text, encoding="utf-8")
                click.echo(f"wrote {target / fname}")
        if not print_only:
            click.echo(
                f"enable it: systemctl --user daemon-reload && "
                f"systemctl --user enable --now {UNIT_PREFIX}{name}.timer"
            )
        return
    line = cron_line(expr, name, data_dir, crawl_args)
    if print_only:
        click.echo(line)
        return
    lines = [l for l in read_crontab() if _entry_name(l) != name]
    write_crontab(lines + [line])
    click.echo(f"installed crontab entry {name}: {expr}")


@schedule.command("list")
def list_command() -> None:
    """Show installed schedules (crontab lines and systemd user timers)."""
    found = 0
    if shutil.which("crontab"):
        for line in read_crontab():
            name = _entry_name(line)
            if name:
                found += 1
                expr = " ".join(line.split()[:5])
                data = line.rsplit("data=", 1)[-1]
                click.echo(f"cron     {name}  {expr}  {data}")
    for timer in sorted(systemd_dir().glob(f"{UNIT_PREFIX}*.timer")):
        found += 1
        cal = next(
            (
                l.split("=", 1)[1]
                for l in timer.read_text().splitlines()
                if l.startswith("OnCalendar=")
            ),
            "?",
        )
        click.echo(f"systemd  {timer.stem[len(UNIT_PREFIX) :]}  {cal}  {timer}")
    if not found:
        click.echo("no union-archive schedules installed")


@schedule.command()
@click.argument("name")
def remove(name: str) -> None:
    """Remove the schedule NAME (crontab line and/or systemd units)."""
    removed = 0
    if shutil.which("crontab"):
        lines = read_crontab()
        keep = [l for l in lines if _entry_name(l) != name]
        if len(keep) != len(lines):
            write_crontab(keep)
            removed += len(lines) - len(keep)
            click.echo(f"removed crontab entry {name}")
    for suffix in (".timer", ".service"):
        unit = systemd_dir() / f"{UNIT_PREFIX}{name}{suffix}"
        if unit.exists():
            unit.unlink()
            removed += 1
            click.echo(f"removed {unit} (then: systemctl --user daemon-reload)")
    if not removed:
        fail(f"no schedule named {name!r}", 1)


@schedule.command(context_settings={"ignore_unknown_options": True})
@data_option
@click.option(
    "--cron",
    "expr",
    default=DEFAULT_CRON,
    show_default=True,
    help="When (cron expression; a 6th field gives seconds).",
)
@click.option("--now", is_flag=True, help="Also run once right away.")
@click.option(
    "--max-runs", type=click.IntRange(min=0), default=0, help="Stop after N runs (0: never)."
)
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED)
def run(data_dir: Path, expr: str, now: bool, max_runs: int, crawl_args: tuple[str, ...]) -> None:
    """Foreground scheduler: crawl DIR at every cron time, one run at a time."""
    from croniter import croniter

    expr = _check_cron(expr)
    cmd = crawl_command(data_dir, crawl_args)
    state = {"child": None, "stop": False}

    def on_signal(signum, frame):
        state["stop"] = True
        if state["child"] is not None and state["child"].poll() is None:
            state["child"].send_signal(signum)  # the crawl stops cleanly, resumable

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    it = croniter(expr, datetime.now(UTC))
    runs = 0
    due = datetime.now(UTC) if now else it.get_next(datetime)
    while not state["stop"] and (not max_runs or runs < max_runs):
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait > 0:
            click.echo(f"schedule: next crawl at {due.isoformat(timespec='seconds')}", err=True)
            while wait > 0 and not state["stop"]:
                time.sleep(min(wait, 1.0))
                wait = (due - datetime.now(UTC)).total_seconds()
            if state["stop"]:
                break
        runs += 1
        started = time.monotonic()
        click.echo(f"schedule: run {runs}: {' '.join(shlex.quote(c) for c in cmd)}", err=True)
        # own session: a terminal's Ctrl-C reaches the crawl once (forwarded by us), since
        # a second signal would make Scrapy stop without saving its frontier
        state["child"] = subprocess.Popen(cmd, start_new_session=True)
        code = state["child"].wait()
        state["child"] = None
        what = {0: "finished", 3: "interrupted", 75: "skipped: the archive is in use"}.get(
            code, "failed"
        )
        click.echo(
            f"schedule: run {runs} {what} (exit {code}, {time.monotonic() - started:.1f}s)",
            err=True,
        )
        # times that passed while crawling are not made up: the next one still ahead
        due = it.get_next(datetime)
        while due <= datetime.now(UTC):
            due = it.get_next(datetime)
    click.echo(f"schedule: stopped after {runs} runs", err=True)
