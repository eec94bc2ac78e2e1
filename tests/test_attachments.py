"""archive.attachments: .docx and text PDF attachments become documents."""
import io

import docx
import pytest

from archive.attachments import AttachmentError, extract_attachment, kind_of
from archive.extract import process_capture

TITLE = "关于全市工会工作情况的汇报"
PARAS = ["广元市总工会", "(2011年11月1日)",
         "今年以来，我市各级工会组织深入学习贯彻党的十七大精神，狠抓各项工作落实，为实现“十二五”发展良好开局做出了积极贡献。"
         "全市参赛职工达10万人次，参赛企业面达90%以上，命名表彰了市级“工人先锋号”60个、“职工创先争优标兵”50名。",
         "一、2011年工会工作的主要情况"]
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
    assert att.lines[:len(PARAS) + 1] == [TITLE] + PARAS
    assert att.lines[-1] == "参赛职工 10万人次"


def test_docx_capture_becomes_document():
    ex = process_capture("http://a.test/202609/P020260930389614168185.docx", DOCX_TYPE, make_docx())
    assert ex.error is None and ex.encoding is None
    doc, = ex.documents
    assert doc["title"] == TITLE
    assert doc["text"].startswith("广元市总工会") and "工人先锋号" in doc["text"]
    assert doc["report_date"] == "2011-11-01" and doc["org"] == "广元市总工会"


def test_pdf_capture_becomes_document():
    ex = process_capture("http://a.test/202609/P020260930389614168185.pdf", "application/pdf",
                         make_pdf())
    assert ex.error is None
    doc, = ex.documents
    assert doc["title"] == TITLE
    assert squash(doc["text"]) == squash("".join(PARAS)).replace("(", "（").replace(")", "）")


def test_broken_attachments_are_errors():
    with pytest.raises(AttachmentError):
        extract_attachment("http://a.test/x.docx", DOCX_TYPE, b"PK\x03\x04 not a zip")
    ex = process_capture("http://a.test/x.pdf", "application/pdf", b"%PDF-1.4\nnot really\n%%EOF")
    assert ex.error and ex.documents == []
    ex = process_capture("http://a.test/x.doc", "application/msword", b"\xd0\xcf\x11\xe0" + bytes(64))
    assert ex.error and ex.documents == []
