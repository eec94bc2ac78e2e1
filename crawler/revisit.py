"""When to re-check an archived URL: an adaptive revisit schedule.

Articles and attachments of a union portal are published once and then rarely
touched; list pages change every day.  Asking every archived article again on every
nightly crawl costs one request (and, under politeness delays, one delay) per article
for nothing, so each URL carries a revisit interval, kept in ``warc-state.sqlite``
(table ``_schedule``, written by the WARC capture, rebuilt from the WARC files when the
state file is lost):

* first capture: the interval is the heuristic freshness of RFC 9111 section 4.2.2,
  10 % of the time since ``Last-Modified``, or ``UNION_REVISIT_INITIAL_DAYS`` without
  Last-Modified; always within [``UNION_REVISIT_MIN_DAYS``, ``UNION_REVISIT_MAX_DAYS``];
* every later check: unchanged (304, or the same payload digest) multiplies the
  interval by ``UNION_REVISIT_GROWTH``, changed by ``UNION_REVISIT_SHRINK`` (Nutch's
  AdaptiveFetchSchedule), within the same bounds;
* an explicit freshness lifetime from the server (``Cache-Control: max-age`` /
  ``s-maxage``, else ``Expires`` - ``Date``) longer than that interval is respected
  (up to the maximum): the server said the page will not change before then;
* the next check is due at check time + interval x a fixed per-URL factor in
  [0.9, 1.1), so that thousands of articles archived in one night do not all fall
  due in the same later night;
* a crawl re-checks what is due by its start time + ``UNION_REVISIT_SLACK_HOURS``, so a
  nightly crawl does not slip a day because yesterday's run reached a page later.

404/410 keep the interval (the page is re-checked as often as before, a document that
comes back loses its ``gone_at``); other statuses and network failures leave the
schedule alone (the URL stays due).  List pages, start pages and pagination are never
skipped: the spider consults the schedule only for URLs that gave documents.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from archive.contract import header

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.settings import BaseSettings

DAY = 86400.0
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)
_NO_FRESHNESS = re.compile(r"(?:^|,)\s*(no-store|no-cache)\b", re.I)


@dataclass(frozen=True)
class RevisitPolicy:
    min_days: float = 1.0
    max_days: float = 30.0
    initial_days: float = 7.0
    growth: float = 1.5
    shrink: float = 0.5
    slack_hours: float = 6.0

    @classmethod
    def from_settings(cls, s: BaseSettings) -> RevisitPolicy:
        return cls(
            min_days=s.getfloat("UNION_REVISIT_MIN_DAYS"),
            max_days=s.getfloat("UNION_REVISIT_MAX_DAYS"),
            initial_days=s.getfloat("UNION_REVISIT_INITIAL_DAYS"),
            growth=s.getfloat("UNION_REVISIT_GROWTH"),
            shrink=s.getfloat("UNION_REVISIT_SHRINK"),
            slack_hours=s.getfloat("UNION_REVISIT_SLACK_HOURS"),
        )

    def clamp(self, seconds: float) -> float:
        return min(max(seconds, self.min_days * DAY), max(self.max_days, self.min_days) * DAY)

    def first_interval(self, headers: Iterable[tuple[str, str]] | None, when: datetime) -> float:
        lm = http_date(header(headers, "Last-Modified"))
        if lm is not None and lm < when:
            return self.clamp(0.1 * (when - lm).total_seconds())
        return self.clamp(self.initial_days * DAY)

    def next_interval(self, interval: float, changed: bool) -> float:
        return self.clamp(interval * (self.shrink if changed else self.growth))

    def with_freshness(self, interval: float, headers: Iterable[tuple[str, str]] | None) -> float:
        fresh = explicit_freshness(headers)
        if fresh is not None and fresh > interval:
            return min(fresh, max(self.max_days, self.min_days) * DAY)
        return interval

    def due_before(self, now: datetime | None = None) -> str:
        """ISO time: a URL whose next_due is at or before it is due now."""
        now = now or datetime.now(UTC)
        return iso(now + timedelta(hours=self.slack_hours))


def jitter(url: str) -> float:
    """A fixed factor in [0.9, 1.1) per URL (spreads due dates)."""
    h = int.from_bytes(hashlib.sha1(url.encode("utf-8", "surrogatepass")).digest()[:4], "big")
    return 0.9 + 0.2 * h / 2**32


def http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def explicit_freshness(headers: Iterable[tuple[str, str]] | None) -> float | None:
    """Seconds the server declared the response fresh (RFC 9111 4.2.1), or None."""
    cc = ", ".join(v for k, v in headers or () if k.lower() == "cache-control")
    if cc:
        if _NO_FRESHNESS.search(cc):
            return None
        ages = dict((k.lower(), int(v)) for k, v in _MAX_AGE.findall(cc))
        if ages:
            return float(ages.get("s-maxage", ages.get("max-age")))
    expires = header(headers, "Expires")
    if expires is not None:
        exp, date = http_date(expires), http_date(header(headers, "Date"))
        if date is None:
            return None
        if exp is None:
            return 0.0  # an invalid Expires ("0", "-1") means "already expired"
        return max(0.0, (exp - date).total_seconds())
    return None


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
