"""What every zoo site is made of: static pages, dynamic routes, and its gold documents."""

from __future__ import annotations

import gzip
import hashlib
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

from .content import OFFICIAL_FIELDS, Text


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html"
    headers: list[tuple[str, str]] = field(default_factory=list)
    chunks: Callable[[], Iterable[bytes]] | None = None  # streamed body (length given)
    length: int | None = None
    delay: float = 0.0
    _gzipped: bytes | None = None

    @property
    def etag(self) -> str:
        return '"%s"' % hashlib.sha1(self.body).hexdigest()[:16]

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, mtime=0)
        return self._gzipped


def redirect(location: str, status: int = 301) -> Page:
    return Page(status=status, body=b"", content_type="text/html", headers=[("Location", location)])


NOT_FOUND = (
    b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
)
NOT_ALLOWED = Page(
    status=405,
    content_type="text/html; charset=utf-8",
    headers=[("Allow", "GET, HEAD")],
    body=b"<html><head><title>405 Method Not Allowed</title></head>"
    b"<body><h1>405 Method Not Allowed</h1></body></html>",
)


class Site:
    """A site: path -> Page, optional dynamic handler, and ground truth (relative URLs)."""

    name = ""
    encoding = "utf-8"  # codec of the bytes
    declared = "utf-8"  # what header/meta claims
    gzip = False  # gzip stored pages when the client accepts it
    validators = True  # ETag/Last-Modified on stored pages, 304 on a match
    last_modified = "Mon, 15 Jan 2024 09:30:00 GMT"

    def __init__(self, base: str, urls: dict[str, str], **options: object) -> None:
        self.base = base
        self.urls = urls
        self.options = options
        self.pages: dict[str, Page] = {}
        self.docs: list[dict] = []
        self.forbidden: list[str] = []
        self.traps: list[str] = []
        self.faults: dict[str, str] = {}
        self.start_path = "/"
        self.build()

    # ---- to override
    def build(self) -> None:
        raise NotImplementedError

    def dynamic(self, path: str, query: str) -> Page | None:
        return None

    def post(self, path: str, query: str, form: bytes) -> Page | None:
        """The answer to a POST (``form``: its body); None: 405 Method Not Allowed."""
        return None

    # ---- helpers
    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def html_page(self, markup: str, content_type: str | None = None, **kw: object) -> Page:
        ctype = content_type if content_type is not None else f"text/html; charset={self.declared}"
        return Page(body=markup.encode(self.encoding), content_type=ctype, **kw)

    def add(self, path: str, page: Page) -> None:
        self.pages[path] = page

    def add_robots(self, *rules: str, content_type: str = "text/plain") -> None:
        """/robots.txt: ``User-agent: *`` and these rule lines."""
        text = "".join(f"{line}\n" for line in ("User-agent: *", *rules))
        self.add("/robots.txt", Page(body=text.encode("ascii"), content_type=content_type))

    def gold(
        self,
        path: str,
        t: Text,
        *,
        published_date: str | None,
        kind: str = "html",
        part: int = 0,
        source: str | None = None,
        pages: list[str] | None = None,
        reachable: bool = True,
        encoding: str | None = None,
        declared: str | None = None,
        title: str | None = None,
        script: str | None = None,
        known_failure: str | None = None,
    ) -> None:
        """Record the ground truth of a document shown at `path` (text kept Simplified);
        ``known_failure`` says what our extraction still gets wrong there."""
        simp = t.simplified()
        self.docs.append(
            {
                "id": t.id if not part else f"{t.id}#{part}",
                "url": self.url(path),
                "part": part,
                "site": self.name,
                "kind": kind,
                "source_url": self.url(source) if source else None,
                "pages": [self.url(p) for p in pages] if pages else None,
                "is_report": t.is_report,
                "title": title if title is not None else simp.title,
                "text": simp.text,
                "published_date": published_date,
                "report_date": t.report_date,
                "year": t.year,
                "org": simp.org,
                "region": simp.region,
                "doc_type": t.doc_type,
                "script": script or t.script,
                "dup_group": t.dup_group,
                "variant_of": t.variant_of,
                "encoding": encoding or (None if kind != "html" else self.encoding),
                "declared_encoding": declared or (None if kind != "html" else self.declared),
                "reachable": reachable,
                **{k: simp.extra.get(k) for k in OFFICIAL_FIELDS},
                "known_failure": known_failure,
            }
        )


def esc(s: str) -> str:
    return html.escape(s, quote=False)


def paras_html(paras: list[str], tag: str = "p", attrs: str = "") -> str:
    return "\n".join(f"<{tag}{attrs}>{esc(p)}</{tag}>" for p in paras)
