"""The unit of work between capture and archive: one fetched URL.

A ``Capture`` is produced twice from the same facts: live, by the crawler's WARC
middleware right after it wrote the records, and later by ``archive.store.reindex``
reading those records back from the WARC files.  Everything downstream
(``archive.store.indexer``) consumes only ``Capture`` objects, so a reindex yields the
same archive as the crawl did.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass
class Capture:
    url: str
    status: int | None  # HTTP status; None for network failures
    content_type: str | None = None  # Content-Type header as received
    warc_filename: str | None = None  # basename of the WARC file (final name, no ".open")
    warc_offset: int | None = None  # offset of the response (or revisit) record
    warc_length: int | None = None  # compressed length of that record
    payload_digest: str | None = None  # WARC-Payload-Digest, "sha1:BASE32"
    fetched_at: str | None = None  # ISO 8601 UTC, e.g. 2026-11-21T15:30:00Z
    crawl_id: str | None = None
    error: str | None = None  # network/protocol failure, one line
    record_type: str = "response"  # response | revisit | failure
    refers_to_url: str | None = None  # revisit: the original record's target URI
    refers_to_date: str | None = None  # revisit: the original record's WARC-Date
    body: bytes | None = field(default=None, repr=False)  # payload, Content-Encoding removed
    depth: int | None = None
    referrer: str | None = None
    method: str = "GET"  # the request's: a POST (a list's later page) is not a document
    # revisit: (file, offset, length) of the original response record, when the crawler
    # knows it (a reindex finds originals among the captures read before)
    original_at: tuple[str, int, int] | None = field(default=None, repr=False)

    def row(self) -> dict:
        """The ``captures`` table row (public schema): every field but the body and the
        revisit's original date and location (read attribute by attribute: ``dataclasses.asdict``
        copies each value through a recursive walk)."""
        return {name: getattr(self, name) for name in _ROW_FIELDS}


_ROW_FIELDS = tuple(
    f.name for f in fields(Capture) if f.name not in ("body", "refers_to_date", "original_at")
)
