"""Attachment files built at start-up: a .docx (python-docx) and a text PDF.

The PDF is written by hand: Type0 font STSong-Light (one of the standard Adobe-GB1
CJK fonts every reader has), Identity-H codes = Adobe-GB1 CIDs, plus a ToUnicode CMap so text
extractors (pdfminer) map the codes back to exactly the characters written.
Both outputs are byte-for-byte deterministic.
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

from .content import Text

FIXED_ZIP_TIME = (2024, 1, 15, 9, 30, 0)


def make_docx(t: Text) -> bytes:
    import datetime

    import docx

    document = docx.Document()
    props = document.core_properties
    fixed = datetime.datetime(2024, 1, 15, 9, 30, 0)
    props.created = props.modified = fixed
    props.last_printed = fixed
    props.author = props.last_modified_by = "union"
    props.title = t.title
    document.add_heading(t.title, level=1)
    for para in t.paras:
        document.add_paragraph(para)
    raw = io.BytesIO()
    document.save(raw)
    # python-docx stamps zip entries with the current time: rewrite them with a fixed one.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed_info = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed_info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed_info, src.read(info.filename))
    return out.getvalue()


# ------------------------------------------------------------------ PDF
_PAGE_W, _PAGE_H, _MARGIN, _SIZE, _LEADING = 595, 842, 56, 12, 20
_CHARS_PER_LINE = (_PAGE_W - 2 * _MARGIN) // _SIZE


def _wrap(t: Text) -> list[tuple[str, int]]:
    """(line, font size) for the title and every paragraph, wrapped at a fixed width."""
    lines = [(t.title, 16), ("", _SIZE)]
    for para in t.paras:
        for i in range(0, len(para), _CHARS_PER_LINE):
            lines.append((para[i : i + _CHARS_PER_LINE], _SIZE))
    return lines


@lru_cache(maxsize=1)
def _gb1():
    from pdfminer.cmapdb import CMapDB

    return CMapDB.get_cmap("UniGB-UTF16-H")


def _cid(c: str) -> int:
    """Adobe-GB1 CID of a character (what STSong-Light draws for it)."""
    cids = list(_gb1().decode(c.encode("utf-16-be")))
    if len(cids) != 1 or not cids[0]:
        raise ValueError(f"no Adobe-GB1 glyph for {c!r}")
    return cids[0]


def _hex(s: str) -> str:
    """Identity-H codes (= CIDs) of a string."""
    return "".join(f"{_cid(c):04X}" for c in s)


def _uni(c: str) -> str:
    return c.encode("utf-16-be").hex().upper()


def make_pdf(t: Text) -> bytes:
    lines = _wrap(t)
    per_page = (_PAGE_H - 2 * _MARGIN) // _LEADING
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    chars = sorted({c for line, _ in lines for c in line})
    if any(ord(c) > 0xFFFF for c in chars):
        raise ValueError("only BMP characters are supported")

    objects: list[bytes] = []

    def obj(body: bytes | str) -> int:
        objects.append(body.encode("latin-1") if isinstance(body, str) else body)
        return len(objects)

    def stream(data: bytes) -> int:
        return obj(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")

    catalog = obj("")  # placeholder, filled below
    pages_id = obj("")
    cmap = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
    )
    for i in range(0, len(chars), 100):
        chunk = chars[i : i + 100]
        cmap += (
            f"{len(chunk)} beginbfchar\n"
            + "\n".join(f"<{_hex(c)}> <{_uni(c)}>" for c in chunk)
            + "\nendbfchar\n"
        )
    cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    to_unicode = stream(cmap.encode("ascii"))
    descriptor = obj(
        "<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        "/FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 "
        "/CapHeight 880 /StemV 93 >>"
    )
    cid_font = obj(
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        f"/FontDescriptor {descriptor} 0 R /DW 1000 >>"
    )
    font = obj(
        "<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light-Identity-H "
        f"/Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
    )
    page_ids = []
    for page_lines in pages:
        ops = ["BT"]
        y = _PAGE_H - _MARGIN
        for line, size in page_lines:
            y -= _LEADING
            if line:
                ops.append(f"/F1 {size} Tf 1 0 0 1 {_MARGIN} {y} Tm <{_hex(line)}> Tj")
        ops.append("ET")
        content = stream("\n".join(ops).encode("ascii"))
        page_ids.append(
            obj(
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_PAGE_W} {_PAGE_H}] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>"
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[pages_id - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()
    info = obj("<< /Producer (union-archive zoo) /CreationDate (D:20240115093000+08'00') >>")

    return pdf_file(objects, catalog, info)


def pdf_file(objects: list[bytes], root: int, info: int | None = None) -> bytes:
    """A PDF file of ``objects`` (numbered from 1), its cross-reference table and trailer;
    ``root``: the catalog's number, ``info``: the document information's."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    info_ref = b" /Info %d 0 R" % info if info is not None else b""
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, info_ref, xref)
    )
    return out.getvalue()
