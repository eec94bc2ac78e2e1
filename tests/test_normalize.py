"""Normalisation: script detection + t2s, width, punctuation, whitespace, placeholders."""

import pytest

from archive.extract.normalize import detect_script, normalize_text
from tests.seeds import seed

# ------------------------------------------------------------------ script


def test_traditional_seed_is_detected_and_converted():
    r = normalize_text(seed("district-2021-traditional.txt"))
    assert r.script == "Hant"
    first = r.text.split("\n")[0]
    assert first == "2021年度总工会工作总结"
    assert "汇报如下" in r.text and "匯報" not in r.text and "總" not in r.text


def test_simplified_seed_is_left_alone():
    raw = seed("bdocx-guangyuan-2011.txt")
    r = normalize_text(raw)
    assert r.script == "Hans"
    assert "关于全市工会工作情况的汇报" in r.text
    assert "广元市总工会" in r.text


@pytest.mark.parametrize(
    "text, script",
    [
        ("關於全市工會工作情況的匯報", "Hant"),
        ("关于全市工会工作情况的汇报", "Hans"),
        ("工人 2021 年", "Hans"),  # shared characters only
        ("", "Hans"),
        ("報(bào)告工會", "Hant"),  # spam with pinyin inserted
    ],
)
def test_detect_script(text, script):
    assert detect_script(text) == script


def test_stray_traditional_characters_in_simplified_text_are_mapped():
    r = normalize_text("关于全市工会工作情况的汇报，今年以来我市各級工會組織深入学习贯彻精神。")
    assert r.script == "Hans"
    assert r.text == "关于全市工会工作情况的汇报，今年以来我市各级工会组织深入学习贯彻精神。"


def test_fast_t2s_matches_opencc_python_reimplemented():
    """archive.extract.normalize.t2s is a faster route to the library's own output: same result on
    real reports in three Traditional variants and on strings packed with its phrases."""
    import random

    import opencc

    from archive.extract.normalize import _t2s_tables, t2s

    lib = opencc.OpenCC("t2s")
    reports = [seed("district-2021-traditional.txt"), seed("bdocx-guangyuan-2011.txt")[:3000]]
    samples = list(reports)
    for config in ("s2t", "s2tw", "s2hk"):
        samples += [opencc.OpenCC(config).convert(t) for t in reports[1:]]
    phrases = list(_t2s_tables()[0])
    rnd = random.Random(7)
    alphabet = "".join(phrases) + "乾隆著作後來髮型麵包藉瞭，。 \n"
    for _ in range(2000):
        samples.append(
            "".join(
                rnd.choice(phrases)
                if rnd.random() < 0.5
                else "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 6)))
                for _ in range(rnd.randint(1, 12))
            )
        )
    mismatches = [t for t in samples if t2s(t) != lib.convert(t)]
    assert not mismatches, mismatches[:3]


def test_simplified_text_is_not_sent_through_opencc():
    # 干 / 后 / 里 would be altered by careless conversion; Simplified text keeps them
    s = "干部在会后到基层里调研。"
    assert normalize_text(s).text == s


# ------------------------------------------------------------------ punctuation and width


@pytest.mark.parametrize(
    "raw, out",
    [
        ("今年以来,我市各级工会组织深入学习.", "今年以来，我市各级工会组织深入学习。"),
        ("发布时间:2016/11/11 9:37:15", "发布时间：2016/11/11 9:37:15"),
        ("2017-05-18 14：30 来源", "2017-05-18 14:30 来源"),
        ("县(市、区)工会工作的意见", "县（市、区）工会工作的意见"),
        ("广元市总工会\n(2011年11月1日)", "广元市总工会\n（2011年11月1日）"),
        ("非公企业建会率达87%,其中:国有企业126份;", "非公企业建会率达87%，其中：国有企业126份；"),
        ("是否参加?是!", "是否参加？是！"),
        ("慰问金76.2万元、建筑面积6100㎡的中心", "慰问金76.2万元、建筑面积6100㎡的中心"),
        ("共1,000人,时间9:30", "共1,000人，时间9:30"),
        (
            "详见http://www.xmgh.org/a/b.html?id=1,2 或邮箱:abc.d@xmgh.org.",
            "详见http://www.xmgh.org/a/b.html?id=1,2 或邮箱：abc.d@xmgh.org.",
        ),
        ("E-mail:abc@xmgh.org", "E-mail:abc@xmgh.org"),
        ("关于我市工会工作情况的汇报.docx", "关于我市工会工作情况的汇报.docx"),
        ("Ｈｅｌｌｏ，２０１２年ＡＢＣ", "Hello，2012年ABC"),
        ("慰问金７６．２万元。", "慰问金76.2万元。"),
        ("“十二五”规划(2011-2015)已完成", "“十二五”规划（2011-2015）已完成"),
        ("hello, world; ok (yes)", "hello, world; ok (yes)"),
        ("1.抓组建。", "1.抓组建。"),
    ],
)
def test_punctuation_and_width(raw, out):
    assert normalize_text(raw).text == out


# ------------------------------------------------------------------ whitespace


def test_whitespace_and_paragraphs():
    raw = (
        "  标题  \r\n\r\n\n第一段\u3000\u3000内容\u200b。  \n\t第二段 ， 内容。"
        "\n\n\n第三段\xa0end  "
    )
    assert normalize_text(raw).text == "标题\n第一段 内容。\n第二段，内容。\n第三段 end"


def test_letter_spaced_line_is_joined_but_title_phrases_keep_their_space():
    r = normalize_text("工 会 工 作 总 结\n强化组织保障 发挥优势作用")
    assert r.text == "工会工作总结\n强化组织保障 发挥优势作用"


def test_no_empty_lines_in_seed_output():
    r = normalize_text(seed("xmgh-siming-2012.txt"))
    lines = r.text.split("\n")
    assert all(line and line == line.strip() for line in lines)
    assert "发表日期：2012-05-16" in lines
    assert "（建议使用1024×768分辨率IE6.0以上版本浏览器）" in lines


# ------------------------------------------------------------------ placeholders


def test_placeholder_kinds_are_kept_and_listed():
    raw = (
        "20xx年,XX县总工会在XXX镇召开大会,参加x人次,表彰xxxx名职工,"
        "__社区和20__年的201x年计划,××单位"
    )
    r = normalize_text(raw)
    assert r.text == (
        "20xx年，XX县总工会在XXX镇召开大会，参加x人次，表彰xxxx名职工，"
        "__社区和20__年的201x年计划，××单位"
    )
    assert r.placeholders == "20xx年,XX县,XXX镇,x人次,xxxx名,__社区,20__年,201x年,××单位"


def test_no_placeholders_in_real_text():
    for raw in (
        "X光检查和1024×768分辨率",
        "Xiamen 厦门",
        "关于我市工会工作情况的汇报.docx",
        seed("bdocx-guangyuan-2011.txt"),
    ):
        assert normalize_text(raw).placeholders is None


def test_traditional_placeholders():
    r = normalize_text(seed("district-2021-traditional.txt"))
    tokens = r.placeholders.split(",")
    assert {"X区", "XX名", "X万元", "XXXX年", "XX街道"} <= set(tokens)


def test_has_traditional_agrees_with_the_character_tables():
    import random

    from archive.extract.normalize import _script_sets, has_traditional

    trad, simp, _map = _script_sets()
    astral = sorted(c for c in trad if ord(c) > 0xFFFF)
    bmp = sorted(c for c in trad if ord(c) <= 0xFFFF)
    assert astral and bmp
    rng = random.Random(3)
    plain = "今年以来我市各级工会组织深入学习贯彻精神，abc 123\U00020000"
    texts = [plain, "", "工會", plain + rng.choice(astral), rng.choice(bmp) + plain]
    texts += [
        "".join(rng.choice(plain + "".join(rng.sample(bmp + astral, 3))) for _ in range(40))
        for _ in range(200)
    ]
    # long texts (64 characters and more) are looked up in a table, short ones searched
    texts += [
        "".join(rng.choice(plain + "".join(rng.sample(bmp + astral, 3))) for _ in range(n))
        for n in (64, 65, 300, 9000)
        for _ in range(50)
    ]
    texts += [
        plain * 10,
        plain * 10 + rng.choice(astral),
        rng.choice(bmp) + plain * 10,
        plain * 10 + "\ud800" + rng.choice(bmp),
        plain * 10 + "\udfff",
    ]
    texts += ["".join(rng.choice(plain + "\ud800") for _ in range(n)) for n in range(64, 128, 8)]
    assert sum(len(t) >= 64 for t in texts) > 200
    assert sum(has_traditional(t) for t in texts if len(t) >= 64) > 100
    assert sum(not has_traditional(t) for t in texts if len(t) >= 64) > 3
    for text in texts:
        assert has_traditional(text) == bool(trad & set(text)), text


def test_punctuation_fast_path_agrees_with_the_definition():
    """Long texts have their ASCII marks decided at once over code points; the loop that
    decides one mark at a time is the definition. Random texts full of the hard cases:
    marks at either end, blanks beside marks, digits (ASCII, full-width, superscript) on
    both sides, nested and lone parentheses, newlines, CJK punctuation, letters, and
    characters beyond the BMP (the fast path hands those to the loop)."""
    import random

    from archive.extract.punctuation import (
        _fix_ascii_marks,
        _fix_ascii_marks_loop,
        fix_punctuation,
    )

    rng = random.Random(11)
    alphabet = list(",:;!?().") * 4 + list("  \n工会职工年月aZ19０²、。“”（）—…") + ["\U00020000"]
    changed = 0
    for k in range(600):
        n = rng.choice([1, 2, 3, 50, 700, 3000])
        text = "".join(rng.choice(alphabet) for _ in range(n))
        if k % 4 == 1:  # a long text with few marks (under 48: the loop's positions)
            text = (
                "".join(rng.choice("工会职工 \n，。2") for _ in range(1500))
                + text[: rng.randrange(60)]
            )
        if k % 3 == 0:
            text = text.replace("\U00020000", "")
        want = _fix_ascii_marks_loop(text)
        assert _fix_ascii_marks(text) == want, text
        assert fix_punctuation(text) == want, text  # long or short, same answer
        changed += want != text
    assert changed > 300


def test_punctuation_gap_pattern_equals_its_first_form():
    import random
    import re

    from archive.extract import normalize
    from archive.extract.cjk import CJK_PUNCT

    p = CJK_PUNCT
    first = re.compile(rf" +(?=[{p}])|(?<=[{p}]) +")
    rng = random.Random(2)
    alphabet = list("  ab工，。、：“”）（x\n") + [" ，", "， "]
    changed = 0
    for _ in range(30_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(14)))
        assert [m.span() for m in first.finditer(s)] == [
            m.span() for m in normalize._PUNCT_GAP.finditer(s)
        ], s
        changed += first.sub("", s) != s
    assert changed > 5000
