"""Attachments offered by report pages: .docx (python-docx) and text PDF (pdfminer.six).

``kind_of(url, content_type, body) -> 'docx' | 'pdf' | None`` decides from the
content type, the URL's extension and the magic bytes; ``extract_attachment``
returns an ``Attachment(title, lines, kind)``.  Image-only PDFs and legacy .doc
raise ``AttachmentError``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

MAX_UNPACKED = 64 * 1024 * 1024  # bytes of a .docx's members in all, once unpacked
MAX_TEXT_CHARS = 1_000_000  # characters of an attachment's text; the rest is cut
MAX_PDF_PAGE_CHARS = 100_000  # characters drawn on one PDF page


class AttachmentError(ValueError):
    pass


@dataclass
class Attachment:
    title: str | None
    lines: list[str]
    kind: str
    truncated: bool = False  # the text was cut at MAX_TEXT_CHARS


_DOCX_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml",)
_PDF_TYPES = ("application/pdf", "application/x-pdf")


def kind_of(url: str, content_type: str | None, body: bytes | None) -> str | None:
    ctype = (content_type or "").split(";")[0].strip().lower()
    path = urlsplit(url).path.lower()
    head = (body or b"")[:8]
    if ctype.startswith(_PDF_TYPES) or (path.endswith(".pdf") and head.startswith(b"%PDF")):
        return "pdf"
    if ctype.startswith(_DOCX_TYPES) or (path.endswith(".docx") and head.startswith(b"PK")):
        return "docx"
    if ctype == "application/msword" or path.endswith(".doc"):
        return "doc"
    if ctype in ("application/octet-stream", "binary/octet-stream", ""):
        if head.startswith(b"%PDF"):
            return "pdf"
        if head.startswith(b"PK\x03\x04") and path.endswith(".docx"):
            return "docx"
    return None


def extract_attachment(url: str, content_type: str | None, body: bytes) -> Attachment:
    kind = kind_of(url, content_type, body)
    if kind == "pdf":
        lines, stopped = pdf_lines(body)
    elif kind == "docx":
        lines, stopped = docx_lines(body)
    elif kind == "doc":
        raise AttachmentError("legacy .doc attachments are not supported")
    else:
        raise AttachmentError(f"not an attachment: {content_type}")
    if not any(line.strip() for line in lines):
        raise AttachmentError(f"no text in {kind} attachment (image-only?)")
    lines, cut = clip_lines(lines)
    return Attachment(title=_title(url, lines), lines=lines, kind=kind, truncated=cut or stopped)


def clip_lines(lines: list[str], limit: int = MAX_TEXT_CHARS) -> tuple[list[str], bool]:
    """As many of ``lines`` as fit in ``limit`` characters joined by newlines, the last one
    cut to fit; True if anything was left out."""
    out, size = [], -1
    for line in lines:
        if size + 1 + len(line) > limit:
            if limit > size + 1:
                out.append(line[: limit - size - 1])
            return out, True
        out.append(line)
        size += 1 + len(line)
    return out, False


def _check_zip(body: bytes) -> None:
    """Refuses a zip whose members would unpack to more than MAX_UNPACKED bytes (zipfile
    never inflates a member past the size its directory declares)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            size = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise AttachmentError(f"unreadable docx: {exc.__class__.__name__}") from exc
    if size > MAX_UNPACKED:
        raise AttachmentError(f"docx larger than {MAX_UNPACKED} bytes unpacked ({size}): not read")


def docx_lines(body: bytes, max_chars: int = MAX_TEXT_CHARS) -> tuple[list[str], bool]:
    """The paragraphs and table rows of a .docx, and whether reading stopped early (past
    ``max_chars``)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_zip(body)
    try:
        document = docx.Document(io.BytesIO(body))
    except (PackageNotFoundError, KeyError, ValueError, Exception) as exc:  # zipfile errors too
        raise AttachmentError(f"unreadable docx: {exc.__class__.__name__}") from exc
    lines, size = [], 0
    for block in document.element.body.iterchildren():
        if size > max_chars:
            return [x for x in lines if x], True
        before = len(lines)
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(
                t.text or ""
                for t in block.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
                )
            )
            lines.append(text.strip())
        elif tag == "tbl":
            for row in block.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tr"
            ):
                cells = []
                for cell in row.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"
                ):
                    cells.append(
                        "".join(
                            t.text or ""
                            for t in cell.iter(
                                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
                            )
                        ).strip()
                    )
                lines.append(" ".join(c for c in cells if c))
        size += sum(map(len, lines[before:]))
    return [x for x in lines if x], False


def pdf_lines(body: bytes, max_chars: int = MAX_TEXT_CHARS) -> tuple[list[str], bool]:
    """The paragraphs of a text PDF, and whether reading stopped early (at the page that
    went past ``max_chars``)."""
    # Its streams are decoded within ``archive.extract.pdf_streams``' budget and a page may hold at
    # most MAX_PDF_PAGE_CHARS characters (each one is an object in pdfminer's layout).
    from pdfminer.converter import TextConverter
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    from archive.extract import pdf_streams

    class BoundedText(TextConverter):
        def begin_page(self, page, ctm):
            self.chars = 0
            super().begin_page(page, ctm)

        def render_char(self, *args, **kwargs):
            self.chars += 1
            if self.chars > MAX_PDF_PAGE_CHARS:
                raise AttachmentError(f"pdf page with more than {MAX_PDF_PAGE_CHARS} characters")
            return super().render_char(*args, **kwargs)

    out, stopped = io.StringIO(), False
    try:
        with pdf_streams.budget():
            manager = PDFResourceManager()
            device = BoundedText(manager, out, laparams=LAParams())
            interpreter = PDFPageInterpreter(manager, device)
            for page in PDFPage.get_pages(io.BytesIO(body)):
                interpreter.process_page(page)
                if out.tell() > max_chars:
                    stopped = True
                    break
    except (AttachmentError, pdf_streams.StreamTooLarge) as exc:
        raise AttachmentError(f"{exc}: not read") from None
    except Exception as exc:  # pdfminer raises many kinds
        raise AttachmentError(f"unreadable pdf: {exc.__class__.__name__}") from exc
    return _pdf_paragraphs(out.getvalue()), stopped


_END = re.compile(r"[。！？：；…”」』）)!?:;]$")


def _pdf_paragraphs(text: str) -> list[str]:
    """pdfminer gives visual lines; join wrapped lines back into paragraphs."""
    text = text.replace("\x0c", "\n\n")
    paras: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        cur = ""
        for line in block.splitlines():
            line = line.strip()
            if not line:
                continue
            if re.fullmatch(r"[-—\s]*\d+[-—\s]*|第\s*\d+\s*页.*", line):
                continue  # page numbers
            cur += line
            if _END.search(line):
                paras.append(cur)
                cur = ""
        if cur:
            paras.append(cur)
    return paras


def _title(url: str, lines: list[str]) -> str | None:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    name = re.sub(r"\.(docx?|pdf)$", "", name, flags=re.I)
    # CMS attachment names (P020260930389614168185) say nothing: use the first heading
    if lines and (not name or re.fullmatch(r"[\w-]*\d{6,}[\w-]*", name)):
        first = lines[0].strip()
        if len(first) <= 60:
            return first
    return name or (lines[0][:60] if lines else None)
