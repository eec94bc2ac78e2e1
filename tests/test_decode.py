"""archive.extract.decode: every charset case a Chinese portal crawl meets."""

import pytest

from archive.extract.decode import DecodeError, decode_body, has_mojibake

BODY = (
    "<html><head>{meta}<title>关于全市工会工作情况的汇报</title></head><body>"
    "<p>今年以来，我市各级工会组织深入学习贯彻党的十七大精神，狠抓各项工作落实。</p>"
    "<p>{extra}</p></body></html>"
)
GBK_ONLY = "镕碁珉"  # in GBK, not in GB2312
GB18030_ONLY = "𠀀"  # four-byte GB18030, not in GBK
TRAD = (
    "<html><head>{meta}<title>關於全區工會工作情況的匯報</title></head><body>"
    "<p>在區委和市總工會的領導下，全區工會工作以習近平新時代中國特色社會主義思想為統領，"
    "緊扣全省工會工作部署，推進重點工作落實落地。</p></body></html>"
)


def page(meta="", extra=""):
    return BODY.format(meta=meta, extra=extra)


def test_declared_gbk():
    d = decode_body(page('<meta charset="gbk">', GBK_ONLY).encode("gbk"), "text/html; charset=GBK")
    assert d.encoding == "gbk" and d.declared == "gbk"
    assert GBK_ONLY in d.text and "工会组织" in d.text


def test_undeclared_gbk():
    d = decode_body(page(extra=GBK_ONLY).encode("gbk"), "text/html")
    assert d.encoding == "gbk" and d.declared is None
    assert GBK_ONLY in d.text and "\ufffd" not in d.text


def test_gb2312_label_over_gbk_bytes():
    body = page(
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', GBK_ONLY
    ).encode("gbk")
    d = decode_body(body, "text/html; charset=gb2312")
    assert d.declared == "gb2312"
    assert GBK_ONLY in d.text  # a strict gb2312 decode would fail or replace these
    assert "\ufffd" not in d.text


def test_gb18030_four_byte():
    d = decode_body(page('<meta charset="gb18030">', GB18030_ONLY).encode("gb18030"), None)
    assert d.encoding == "gb18030" and GB18030_ONLY in d.text


def test_declared_big5():
    d = decode_body(
        TRAD.format(meta='<meta charset="big5">').encode("big5"), "text/html; charset=big5"
    )
    assert d.encoding == "big5" and "總工會的領導" in d.text


def test_undeclared_big5():
    d = decode_body(TRAD.format(meta="").encode("big5"), "text/html")
    assert d.encoding == "big5" and "總工會的領導" in d.text


def test_utf8_bom_wins_over_header():
    body = b"\xef\xbb\xbf" + page('<meta charset="gbk">').encode("utf-8")
    d = decode_body(body, "text/html; charset=gbk")
    assert d.encoding == "utf-8" and "工会组织" in d.text and not d.text.startswith("\ufeff")


def test_header_utf8_over_gbk_bytes():
    d = decode_body(page(extra=GBK_ONLY).encode("gbk"), "text/html; charset=utf-8")
    assert d.encoding == "gbk" and d.declared == "utf-8"
    assert "工会组织" in d.text and "\ufffd" not in d.text


def test_meta_charset_when_header_is_wrong():
    body = page('<meta charset="gbk">').encode("gbk")
    d = decode_body(body, "text/html; charset=iso-8859-1")
    assert d.encoding == "gbk" and "工会组织" in d.text and not has_mojibake(d.text)


def test_header_gbk_over_utf8_bytes():
    d = decode_body(page('<meta charset="gbk">').encode("utf-8"), "text/html; charset=gbk")
    assert d.encoding == "utf-8" and "工会组织" in d.text


@pytest.mark.parametrize("source", ["utf-8", "gbk"])
def test_cp1252_mojibake_repaired(source):
    raw = page('<meta charset="utf-8">').encode(source)
    # what a misconfigured CMS stores: bytes read as windows-1252, saved again as UTF-8
    moj = "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in raw
    )
    d = decode_body(moj.encode("utf-8"), "text/html; charset=utf-8")
    assert d.repaired and "工会组织" in d.text and not has_mojibake(d.text)


def test_latin1_mojibake_repaired():
    moj = page('<meta charset="utf-8">').encode("utf-8").decode("latin-1")
    d = decode_body(moj.encode("utf-8"), "text/html; charset=utf-8")
    assert d.repaired and "工会组织" in d.text


def test_replacement_characters_never_pass():
    body = (
        page(extra="ok")
        .encode("utf-8")
        .replace("狠抓".encode(), "狠抓".encode() + "\ufffd".encode())
    )
    d = decode_body(body, "text/html; charset=utf-8")
    assert "\ufffd" not in d.text and d.repaired


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200)),
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
        bytes(range(256)) * 8,
    ],
)
def test_binary_served_as_html_is_an_error(body):
    with pytest.raises(DecodeError):
        decode_body(body, "text/html; charset=utf-8")


def test_pure_ascii():
    d = decode_body(b"<html><body>&#24037;&#20250;</body></html>", "text/html")
    assert d.encoding == "utf-8" and not d.repaired


def test_utf8_cut_inside_last_character():
    body = page('<meta charset="utf-8">').encode("utf-8") + "工会".encode()[:-1]
    d = decode_body(body, "text/html; charset=utf-8")
    assert d.encoding == "utf-8" and "工会组织" in d.text and "\ufffd" not in d.text


def test_gb_label_over_big5_bytes():
    body = TRAD.format(meta='<meta charset="gbk">').encode("big5")
    d = decode_body(body, "text/html; charset=gbk")
    assert d.encoding == "big5" and d.declared == "gbk" and "總工會的領導" in d.text


def test_big5_label_over_gbk_bytes():
    body = page('<meta charset="big5">').encode("gbk")
    d = decode_body(body, "text/html; charset=big5")
    assert d.encoding in ("gbk", "gb18030") and "工会组织" in d.text


def _gbk_also_big5(chars: str) -> str:
    def ok(c):
        try:
            c.encode("gbk").decode("big5hkscs")
            return True
        except UnicodeError:
            return False

    return "".join(c for c in chars if ok(c))


def test_undeclared_both_decode_strictly():
    # Simplified text whose GBK bytes are valid Big5 as well: common characters decide
    words = _gbk_also_big5(
        BODY + "今年以来全市各级工会组织深入学习贯彻党的精神狠抓各项工作落实取得明显成效职工群众"
    )
    assert len(words) > 30
    body = f"<html><body><p>{words}</p></body></html>".encode("gbk")
    body.decode("big5hkscs")  # the trap is real
    d = decode_body(body, "text/html")
    assert d.encoding == "gbk" and words in d.text


def test_non_ascii_shares_of_long_texts_equal_the_regex_count():
    """Long samples are counted over their code points (numpy); the definition is the
    regex count that short samples still use."""
    import random

    from archive.extract import decode

    def by_regex(text, pattern, default):
        sample = text[:20000]
        non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))
        if not non_ascii:
            return default
        return len(decode._OUTSIDE[pattern].sub("", sample)) / non_ascii

    rng = random.Random(4)
    pools = [
        "abc <p>\n",
        "工会职工劳模",
        "å·¥ä¼šèŒ€œâ€\u2013\u2014…€™",
        "\u0080\u009f\u00ff\u0100",
        "\ud800\udfff",
        "\U00020000\U0001f600",
        "\uffff\u4e00\u9fff\u3400",
    ]
    texts = ["", "a" * 300, "工" * 300, "å" * 300]
    for _ in range(300):
        n = rng.choice([255, 256, 257, 1000, 25000])
        mix = "".join(rng.sample(pools, rng.randrange(1, len(pools) + 1)))
        texts.append("".join(rng.choice(mix) for _ in range(n)))
    long_ones = 0
    for text in texts:
        long_ones += len(text) >= 256
        for pattern, default in ((decode._MOJIBAKE, 0.0), (decode._HAN, 1.0)):
            assert decode._non_ascii_share(text, pattern, default) == by_regex(
                text, pattern, default
            )
    assert long_ones > 200
    assert decode.has_mojibake("å·¥ä¼šçš„å·¥ä½œ" * 40) and not decode.has_mojibake(
        "工会的工作" * 80
    )


@pytest.mark.parametrize("label", ["text/html; charset=utf-8", "text/html", None])
def test_a_few_invalid_bytes_in_utf8_are_dropped_not_mojibake(label):
    """One stray byte, or a character cut short by a CMS, in a page that is otherwise UTF-8
    made the whole page GB18030 mojibake; those bytes are dropped and the rest read as UTF-8."""
    good = page('<meta charset="utf-8">').encode("utf-8")
    for body in (
        good.replace("工会组织".encode(), "工会组织".encode() + b"\xff"),
        good.replace("狠抓".encode(), "狠".encode()[:2] + "抓".encode()),
    ):
        d = decode_body(body, label)
        assert d.encoding == "utf-8" and d.repaired
        assert "工会组织深入学习贯彻党的十七大精神" in d.text and "\ufffd" not in d.text


def test_gbk_read_as_utf8_stays_gbk_whatever_the_label():
    """UTF-8 labels over GBK bytes: most of their bytes are invalid UTF-8, so they are no
    'few invalid bytes' and the page is still read as GBK."""
    d = decode_body(
        page('<meta charset="utf-8">', GBK_ONLY).encode("gbk"), "text/html; charset=utf-8"
    )
    assert d.encoding == "gbk" and "工会组织" in d.text and GBK_ONLY in d.text
