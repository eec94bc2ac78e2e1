"""What the indexer makes of one capture before it writes: which captures are
extracted, and the forms derived from each document (folded text, duplicate signature,
search index forms), computed in the indexer or ahead of it in a helper process."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from archive.capture import Capture
from archive.store import search

if TYPE_CHECKING:
    from archive.extract.page import Extraction

EXTRACTABLE = (
    "text/html",
    "application/xhtml",
    "text/plain",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml",
    "application/msword",
    "application/octet-stream",
    "application/json",
)  # an app's article API (archive/extract/json_api.py)


def wanted(cap: Capture) -> bool:
    """Is this capture a page or attachment to extract (whatever its body)?  Not the
    answer to a POST: a later page of a list, whose links the crawler followed."""
    if not (cap.status == 200 or (cap.status == 304 and cap.record_type == "revisit")):
        return False
    if (cap.method or "GET") != "GET":
        return False
    ctype = (cap.content_type or "").lower()
    path = urlsplit(cap.url).path.lower()
    if path.endswith("/robots.txt"):
        return False
    return not ctype or ctype.startswith(EXTRACTABLE) or path.endswith((".docx", ".pdf"))


def extractable(cap: Capture, body: bytes | None) -> bool:
    return bool(body) and wanted(cap)


def derived(title: str | None, text: str | None) -> dict:
    """What the indexer derives from a document's title and text: the folded text (read
    by both of the others), the duplicate signature and the search index forms."""
    from archive.extract.normalize import fold
    from archive.store.dedup import signature

    folded = fold(text)
    return {
        "_folded": folded,
        "_signature": signature(text or "", title=title, folded=folded),
        "_index": search.index_forms(title, text, folded),
    }


def prepare_documents(ex: Extraction) -> bool:
    """Add ``derived`` to the documents of an extraction that ``Indexer.add`` writes as
    they are (not pages of a multi-page article: those are stitched first); True if so."""
    if (ex.page_count or 1) > 1 or ex.continuation_of:
        return False
    for doc in ex.documents:
        doc.update(derived(doc.get("title"), doc.get("text")))
    return True
