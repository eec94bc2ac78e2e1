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


class AttachmentError(ValueError):
    pass


@dataclass
class Attachment:
    title: str | None
    lines: list[str]
    kind: str


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
        lines = pdf_lines(body)
    elif kind == "docx":
        lines = docx_lines(body)
    elif kind == "doc":
        raise AttachmentError("legacy .doc attachments are not supported")
    else:
        raise AttachmentError(f"not an attachment: {content_type}")
    if not any(line.strip() for line in lines):
        raise AttachmentError(f"no text in {kind} attachment (image-only?)")
    return Attachment(title=_title(url, lines), lines=lines, kind=kind)


def docx_lines(body: bytes) -> list[str]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(body))
    except (PackageNotFoundError, KeyError, ValueError, Exception) as exc:  # zipfile errors too
        raise AttachmentError(f"unreadable docx: {exc.__class__.__name__}") from exc
    lines = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in block.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
            lines.append(text.strip())
        elif tag == "tbl":
            for row in block.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tr"):
                cells = []
                for cell in row.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tc"):
                    cells.append("".join(t.text or "" for t in cell.iter(
                        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")).strip())
                lines.append(" ".join(c for c in cells if c))
    return [x for x in lines if x]


def pdf_lines(body: bytes) -> list[str]:
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams

    try:
        text = extract_text(io.BytesIO(body), laparams=LAParams())
    except Exception as exc:  # pdfminer raises many kinds
        raise AttachmentError(f"unreadable pdf: {exc.__class__.__name__}") from exc
    return _pdf_paragraphs(text)


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
