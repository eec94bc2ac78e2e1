"""archive.extract.attachments: .docx and text PDF attachments become documents."""

import io

import docx
import pytest

from archive.extract.attachments import AttachmentError, extract_attachment, kind_of
from archive.extract.page import process_capture

TITLE = "关于全市工会工作情况的汇报"
PARAS = [
    "广元市总工会",
    "(2011年11月1日)",
    "今年以来，我市各级工会组织深入学习贯彻党的十七大精神，狠抓各项工作落实，为实现“十二五”发展良好开局做出了积极贡献。"
    "全市参赛职工达10万人次，参赛企业面达90%以上，命名表彰了市级“工人先锋号”60个、“职工创先争优标兵”50名。",
    "一、2011年工会工作的主要情况",
]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def make_docx() -> bytes:
    d = docx.Document()
    d.add_heading(TITLE, level=1)
    for p in PARAS:
        d.add_paragraph(p)
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "参赛职工"
    table.rows[0].cells[1].text = "10万人次"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def make_pdf() -> bytes:
    from zoo.attachments import make_pdf as zoo_pdf
    from zoo.content import Text

    return zoo_pdf(Text(id="t", title=TITLE, paras=PARAS))


def squash(s):
    return "".join(s.split())


def test_kind_of():
    assert kind_of("http://a.test/P0201.pdf", "application/pdf", b"%PDF-1.4") == "pdf"
    assert kind_of("http://a.test/x.docx", "application/octet-stream", b"PK\x03\x04") == "docx"
    assert kind_of("http://a.test/x.bin", "application/octet-stream", b"%PDF-1.7") == "pdf"
    assert kind_of("http://a.test/x.html", "text/html", b"<html>") is None


def test_docx_text_and_title():
    att = extract_attachment("http://a.test/2011/report.docx", DOCX_TYPE, make_docx())
    assert att.kind == "docx"
    assert att.lines[: len(PARAS) + 1] == [TITLE] + PARAS
    assert att.lines[-1] == "参赛职工 10万人次"


def test_docx_capture_becomes_document():
    ex = process_capture("http://a.test/202609/P020260930389614168185.docx", DOCX_TYPE, make_docx())
    assert ex.error is None and ex.encoding is None
    (doc,) = ex.documents
    assert doc["title"] == TITLE
    assert doc["text"].startswith("广元市总工会") and "工人先锋号" in doc["text"]
    assert doc["report_date"] == "2011-11-01" and doc["org"] == "广元市总工会"


def test_pdf_capture_becomes_document():
    ex = process_capture(
        "http://a.test/202609/P020260930389614168185.pdf", "application/pdf", make_pdf()
    )
    assert ex.error is None
    (doc,) = ex.documents
    assert doc["title"] == TITLE
    assert squash(doc["text"]) == squash("".join(PARAS)).replace("(", "（").replace(")", "）")


def test_broken_attachments_are_errors():
    with pytest.raises(AttachmentError):
        extract_attachment("http://a.test/x.docx", DOCX_TYPE, b"PK\x03\x04 not a zip")
    ex = process_capture("http://a.test/x.pdf", "application/pdf", b"%PDF-1.4\nnot really\n%%EOF")
    assert ex.error and ex.documents == []
    ex = process_capture(
        "http://a.test/x.doc", "application/msword", b"\xd0\xcf\x11\xe0" + bytes(64)
    )
    assert ex.error and ex.documents == []


def test_a_docx_zip_bomb_is_refused_before_it_is_unpacked():
    """A 0.6 MB .docx whose document.xml unpacks to 149 MB (41 million characters of text)
    took the indexer past 1 GB and stored the whole text; its declared sizes refuse it now."""
    from tests.bombs import docx_bomb

    ex = process_capture("http://a.test/x.docx", DOCX_TYPE, docx_bomb())
    assert ex.documents == []
    assert ex.error == "docx larger than 67108864 bytes unpacked (149000894): not read"


def test_a_long_attachment_is_truncated_and_says_so():
    from archive.extract.attachments import MAX_TEXT_CHARS
    from tests.bombs import docx_bomb

    ex = process_capture("http://a.test/x.docx", DOCX_TYPE, docx_bomb(30_000))  # 1.2 M characters
    (doc,) = ex.documents
    assert ex.error == f"text truncated to {MAX_TEXT_CHARS} characters"
    assert MAX_TEXT_CHARS - 100 < len(doc["text"]) <= MAX_TEXT_CHARS


def test_a_pdf_stream_bomb_is_refused_within_its_budget():
    """A 0.25 MB FlateDecode stream of 256 MB: pdfminer decoded it whole (1 GB of stream took
    2.1 GB); the budget of all of one PDF's decoded streams stops it."""
    from tests.bombs import MB, pdf_bomb

    ex = process_capture("http://a.test/x.pdf", "application/pdf", pdf_bomb(256 * MB))
    assert ex.documents == []
    assert ex.error == "pdf streams larger than 67108864 bytes when decoded: not read"


def test_a_pdf_page_drawing_too_many_characters_is_refused():
    """Each character drawn is an object in pdfminer's layout of its page: 100,000 a page."""
    from tests.bombs import pdf, text_ops

    with pytest.raises(AttachmentError, match="pdf page with more than 100000 characters"):
        extract_attachment("http://a.test/x.pdf", "application/pdf", pdf(text_ops(["A" * 100_001])))
    att = extract_attachment(
        "http://a.test/x.pdf", "application/pdf", pdf(text_ops(["A" * 99_000]))
    )
    assert att.lines == ["A" * 99_000] and not att.truncated


def test_bounded_pdf_filters_decode_as_pdfminer_does():
    import random
    import zlib

    from pdfminer.lzw import lzwdecode as pdfminer_lzw
    from pdfminer.runlength import rldecode as pdfminer_rl

    from archive.extract import pdf_streams

    rng = random.Random(7)
    for _ in range(50):
        raw = bytes(rng.choice(b"ab\x00\x80\xff") for _ in range(rng.randrange(0, 3000)))
        assert pdf_streams.inflate(zlib.compress(raw)) == raw
        runs = b""  # literal and repeat runs, maybe an EOD
        for _ in range(rng.randrange(0, 40)):
            n = rng.randrange(0, 256)
            runs += bytes([n]) + (raw[: n + 1].ljust(n + 1, b"x") if n < 128 else b"r")
        assert pdf_streams.rldecode(runs) == pdfminer_rl(runs)
    lzw = bytes.fromhex("800b6050220c0c8501")  # PDF 32000's LZWDecode example
    assert pdf_streams.lzwdecode(lzw) == pdfminer_lzw(lzw) == b"-----A---B"
    with pytest.raises(zlib.error):
        pdf_streams.inflate(zlib.compress(b"abc" * 100)[:-6])
    assert pdf_streams.inflate(zlib.compress(b"abc" * 100)[:-2], tolerant=True) == b"abc" * 100
    with pdf_streams.budget(1000), pytest.raises(pdf_streams.StreamTooLarge):
        pdf_streams.inflate(zlib.compress(b"a" * 600))
        pdf_streams.inflate(zlib.compress(b"b" * 600))
