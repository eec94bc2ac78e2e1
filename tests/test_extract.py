"""archive.extract.boilerplate + archive.extract.page: chrome families, titles, dates,
splitting, stitching."""

import pytest

from archive.extract import boilerplate
from archive.extract.page import Extraction, process_capture, stitch
from archive.extract.pagination import pagination
from archive.extract.parts import split_parts

REPORT = [
    "广元市总工会",
    "(2011年11月1日)",
    "今年以来，我市各级工会组织深入学习贯彻党的十七大、中国工会十五大和市六次党代会精神，"
    "按照“高位求进、加快发展”的要求，狠抓各项工作落实，为实现“十二五”发展良好开局做出了积极贡献。",
    "一、2011年工会工作的主要情况",
    "按照省总下达的年度工作目标任务，市县工会坚持围绕中心，服务大局，突出重点，攻坚破难，各项工作稳步推进。",
    "全市参赛职工达10万人次，参赛企业面达90%以上。命名表彰了市级“工人先锋号”60个。",
]
SHORT = [
    "本报讯 近日，市总工会举办全市职工技能大赛决赛，来自全市42家企业的186名选手参加了比赛。",
    "比赛设电工、焊工、数控车工三个工种，获奖选手将获得“技术能手”称号。",
]


def paras(lines):
    return "\n".join(f"<p>{x}</p>" for x in lines)


def html(title, body, head="", charset="utf-8"):
    return (
        f'<html><head><meta charset="{charset}"><title>{title}</title>{head}</head>'
        f"<body>{body}</body></html>"
    )


def text_of(ex):
    assert len(ex.documents) == 1, ex
    return ex.documents[0]["text"]


# ---------------------------------------------------------------- chrome families (lines)

FAMILY_EXAMPLES = [
    ("当前位置：首页 > 工作动态 > 正文", "breadcrumb"),
    ("您的位置:快淘范文网>范文>工作总结>工会工作总结", "breadcrumb"),
    ("现在位置： 首页>>经验交流", "breadcrumb"),
    ("发布时间:2016/11/11 9:37:15 作者:张三 点击:119", "info"),
    ("2017-05-18 14：30 来源:市总工会 【字体:大 中 小】 打印", "info"),
    ("时间:2022-03-03 09:14:55", "info"),
    ("查看人数:44", "info"),
    ("【打印本页】【关闭窗口】", "bar"),
    ("分享到： 微信 微博 QQ空间", "info"),
    ("网站无障碍 | 关怀版 | 长者模式", "bar"),
    (
        "上传人:b****7 文档编号:15296480 上传时间:2023-07-03 格式:DOCX 页数:25 大小:598.27KB",
        "wenku",
    ),
    ("关于我市工会工作情况的汇报.docx_第1页", "caption"),
    ("第1页 / 共5页", "caption"),
    ("第 2 页 共 2 页", "caption"),
    ("亲,该文档总共25页,到这儿已超出免费预览范围,如果喜欢就下载吧!", "preview"),
    ("已阅读5页,还剩13页未读 继续免费阅读", "preview"),
    ("下载资源", "preview"),
    (
        "《X.docx》由会员分享,可在线阅读,更多相关《X.docx(5页珍藏版)》请在冰点文库上搜索。",
        "preview",
    ),
    ("以下是小编为大家收集的工会工作总结，仅供参考，欢迎大家阅读。", "intro"),
    ("主办单位：川北市总工会 网站标识码：5108000012", "footer"),
    ("版权所有:安徽省总工会 皖ICP备05015515号-1", "footer"),
    ("京公网安备 11010102002019号", "footer"),
    ("(建议使用1024×768分辨率 IE7.0以上版本浏览器)", "footer"),
    ("加入收藏 | 网站地图 | 联系我们", "footer"),
    ("上一篇：关于做好2024年劳动节期间工作的通知", "prevnext"),
    ("首页 图片新闻 动态报道 领导讲话 相关文件 经验交流材料", "nav"),
]


@pytest.mark.parametrize("line,family", FAMILY_EXAMPLES)
def test_chrome_families(line, family):
    assert (boilerplate.chrome_reason(line) or boilerplate.edge_reason(line)) == family


def test_chrome_flags_agree_with_chrome_reason():
    """clean_lines' one-scan chrome test gives exactly chrome_reason's answers: on real
    captures, zoo texts, every family example alone, glued into prose, padded, in a body."""
    from pathlib import Path

    from tests.seeds import SEEDS

    lines = REPORT + SHORT + [x for x, _f in FAMILY_EXAMPLES]
    sources = list(Path(__file__).resolve().parents[1].joinpath("zoo", "data").glob("*.txt"))
    sources += list(SEEDS.glob("*.txt")) if SEEDS else []
    for path in sources:
        lines += [x.strip() for x in path.read_text(encoding="utf-8").splitlines()]
    for x, _f in FAMILY_EXAMPLES:
        lines += [
            REPORT[2] + x,
            x + REPORT[2],
            "  " + x,
            x[: len(x) // 2],
            x[len(x) // 2 :],
            "　" + x + "　",
            x.replace(":", "："),
            x.upper(),
            x.lower(),
        ]
    lines += [
        "",
        "大 中 小",
        "【大】【中】【小】",
        "打印 关闭",
        "大会",
        "Copyright 2024",
        "(C) 2024",
        "icp备05015515号",
        "2024-03-05",
        "2024-03-05 10:11",
        "3 / 5",
        "— 2 —",
        "第3页",
    ]
    assert len(sources) >= 4 and len(lines) > 400
    want = [boilerplate.chrome_reason(x) is not None for x in lines]
    assert boilerplate.chrome_flags(lines) == want
    for i in range(0, len(lines), 7):  # neighbours in other orders and alone
        chunk = lines[i : i + 7][::-1]
        assert boilerplate.chrome_flags(chunk) == [
            boilerplate.chrome_reason(x) is not None for x in chunk
        ]


def test_inline_and_pinyin_fast_forms_agree_with_their_definitions():
    """clean_lines tests long lines with INLINE minus its leading blanks, and PINYIN puts
    the bracket before its look-behind; both must answer as the first forms did."""
    import random
    import re

    pinyin = re.compile(
        r"(?<=[\u4e00-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]"
        r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*[)）]"
    )
    rng = random.Random(8)
    pieces = [
        "報",
        "告",
        "工会",
        "(",
        "（",
        ")",
        "）",
        "bào",
        "gào",
        "ǎ",
        "a",
        "ü",
        " ",
        "\n",
        "x",
        "(bào)",
        "（gào）",
        "(lǜ)",
        "(ǎ",
        "已阅读",
        "3",
        "页",
        "，",
        "还剩",
        "页未读",
        "继续免费阅读",
        "第",
        "/",
        "共",
        "版权说明",
        "：",
        "免费预览已结束",
        "。",
        "下载本文档",
    ]
    hits = [0, 0]
    for n in (1, 3, 8, 30, 120):
        for _ in range(400):
            line = "".join(rng.choice(pieces) for _ in range(n))
            assert boilerplate.PINYIN.sub("", line) == pinyin.sub("", line), line
            found = boilerplate.INLINE.search(line) is not None
            assert (boilerplate._INLINE_KEY.search(line) is not None) == found, line
            hits[0] += pinyin.search(line) is not None
            hits[1] += found
    assert min(hits) > 100


def test_edge_families_only_at_the_edges():
    names = "王喆 李明 张华 赵升 刘芳"  # a list of award winners looks like a menu
    hope = "希望各基层工会结合实际认真抓好落实，确保取得实效，对职工群众有所帮助。"
    body = REPORT[:3] + [names, hope] + REPORT[3:]
    lines, _ = boilerplate.clean_lines(
        ["首页 图片新闻 动态报道 领导讲话 相关文件"]
        + body
        + ["以上就是小编整理的内容，希望对你有所帮助。"]
    )
    assert lines == body


@pytest.mark.parametrize(
    "line",
    REPORT
    + SHORT
    + [
        "（一）围绕中心，深化建功立业活动",
        "2011年11月1日",
        "同志们：",
        "现将全区工会工作汇报如下：",
        "三是加强精神文明引领。开展了为职工送图书、送电影、送春联的系列活动。",
    ],
)
def test_report_lines_are_not_chrome(line):
    assert boilerplate.chrome_reason(line) is None


def test_related_list_cuts_the_tail():
    lines, _ = boilerplate.clean_lines(
        REPORT + ["相关文章", "2022年工会工作总结", "2021年工会工作计划"]
    )
    assert lines == REPORT


def test_title_repeats_at_the_top_are_dropped():
    # the file name and the title repeat the page title; the document's own heading is content
    lines, title = boilerplate.clean_lines(
        [
            "关于我市工会工作情况的汇报.docx",
            "关于我市工会工作情况的汇报",
            "关于全市工会工作情况的汇报",
        ]
        + REPORT,
        "关于我市工会工作情况的汇报",
    )
    assert (
        lines == ["关于全市工会工作情况的汇报"] + REPORT and title == "关于我市工会工作情况的汇报"
    )


# ---------------------------------------------------------------- whole pages

TRS_CHROME = """<div class="wza"><a>网站无障碍</a> | <a>关怀版</a> | <a>长者模式</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/gzbg/">工作报告</a></li></ul></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; 工作报告 &gt; 正文</div>
<h1 class="title">{title}</h1>
<div class="info">发布时间：{date}　来源：市总工会　【字体：<a>大</a> <a>中</a> <a>小</a>】【<a>\
打印本页</a>】【<a>关闭窗口</a>】</div>
<div id="zoom"><div class="TRS_Editor"><style>.TRS_Editor P{{margin:0}}</style>{body}</div>\
</div>{after}
<div class="share">分享到：<a>微信</a> <a>微博</a></div>
<div class="footer"><p>主办单位：川北市总工会　网站标识码：5108000012</p>
<p>蜀ICP备05012345号-1　川公网安备 51080202000123号</p></div>"""


def trs_page(title, lines, date="2024-03-05 09:30", after="", head=""):
    body = TRS_CHROME.format(title=title, date=date, body=paras(lines), after=after)
    return html(f"{title}_工作报告_川北职工之家", body, head, "gb2312").encode("gbk")


def test_trs_article_short_body_no_chrome():
    ex = process_capture(
        "http://a.test/gzdt/202403/t20240305_1.html",
        "text/html; charset=gb2312",
        trs_page("市总工会举办职工技能大赛", SHORT),
    )
    assert ex.error is None and ex.encoding == "gbk"
    doc = ex.documents[0]
    assert doc["title"] == "市总工会举办职工技能大赛"
    assert doc["text"].splitlines() == SHORT
    assert doc["published_date"] == "2024-03-05"


def test_title_from_meta_and_suffix():
    head = '<meta name="ArticleTitle" content="2021年度总工会工作总结">'
    ex = process_capture(
        "http://a.test/x.html", "text/html", trs_page("别的标题", SHORT, head=head)
    )
    assert ex.documents[0]["title"] == "2021年度总工会工作总结"
    ex = process_capture(
        "http://a.test/x.html",
        "text/html",
        html(
            "关于全市工会工作情况的汇报 - 工作报告 - 川北职工之家",
            "<div class='ccontent'>" + paras(REPORT) + "</div>",
        ).encode(),
    )
    assert ex.documents[0]["title"] == "关于全市工会工作情况的汇报"


def test_trafilatura_path_short_body_without_container():
    body = (
        "<div class='top'><a href='/'>首页</a> <a href='/a'>图片新闻</a> <a href='/b'>动态报道</a> "
        "<a href='/c'>领导讲话</a> <a href='/d'>相关文件</a></div>"
        "<div class='crumbs'>您的位置：<a href='/'>首页</a>&gt;<a href='/d'>动态</a></div>"
        "<div class='main'><h2>市总工会举办职工技能大赛</h2><div class='meta'>"
        "2024年03月05日 来源：本站 "
        "浏览次数：33</div><div class='txt'>" + paras(SHORT) + "</div></div>"
        "<div class='bottom'>版权所有：某市总工会 京ICP备12345678号 京公网安备 "
        "11010102002019号</div>"
    )
    ex = process_capture(
        "http://b.test/news/1.html",
        "text/html",
        html("市总工会举办职工技能大赛-某市总工会", body).encode(),
    )
    assert "".join(text_of(ex).split()) == "".join("".join(SHORT).split())


def test_justext_stoplist_is_a_frozenset_of_the_same_words():
    """trafilatura's justext rescue gets its stop list as a frozenset (hashed once) instead
    of a tuple of ~154,000 words hashed on every page: the same words, and justext keeps
    the same paragraphs with either (an English page, where it keeps some, and a Chinese
    list page, where it keeps none)."""
    import copy

    import lxml.html
    from trafilatura import external

    from archive.extract.body import trafilatura_lines

    list_page = html(
        "通知公告-某市总工会",
        "<ul>"
        + "".join(
            f"<li><a href='/n/{i}.html'>市总工会关于开展第{i}期职工技能培训的通知</a> "
            f"2024-03-0{i % 9 + 1}</li>"
            for i in range(30)
        )
        + "</ul>",
    )
    trafilatura_lines(lxml.html.fromstring(list_page))  # configures trafilatura once
    words = external.JT_STOPLIST
    assert isinstance(words, frozenset) and len(words) > 100_000
    from justext import get_stoplist, get_stoplists

    assert words == {w for lang in get_stoplists() for w in get_stoplist(lang)}
    english = html(
        "News",
        "".join(
            f"<p>The union of the workers in the city has been working on the report for "
            f"{i} years, "
            "and it is one of the best that we have read in all of the time since then.</p>"
            for i in range(6)
        )
        + "<div><a href='/'>Home</a> | <a href='/x'>Contact</a></div>",
    )
    for page, kept in ((english, True), (list_page, False)):
        tree = lxml.html.fromstring(page)
        try:
            external.JT_STOPLIST = tuple(sorted(words))
            as_tuple = lxml.html.tostring(external.try_justext(copy.deepcopy(tree), None, None))
        finally:
            external.JT_STOPLIST = words
        as_set = lxml.html.tostring(external.try_justext(copy.deepcopy(tree), None, None))
        assert as_set == as_tuple
        assert (b"working on the report" in as_set) is kept


def test_wenku_page():
    head = [
        "关于我市工会工作情况的汇报.docx",
        "上传人:b****6 文档编号:7125872 上传时间:2023-01-20 格式:DOCX 页数:5 大小:21.70KB",
        "下载 相关 举报",
        "关于我市工会工作情况的汇报.docx_第1页",
        "第1页 / 共5页",
        "亲,该文档总共5页,全部预览完了,如果喜欢就下载吧!",
        "下载资源",
        "资源描述",
        "《关于我市工会工作情况的汇报.docx》由会员分享,可在线阅读,更多相关《关于我市工会工作情况的汇报.docx"
        "(5页珍藏版)》请在冰豆网上搜索。",
        "关于我市工会工作情况的汇报",
        "关于全市工会工作情况的汇报",
    ]
    page = html(
        "关于我市工会工作情况的汇报.docx - 冰豆网",
        "<div class='doc'>" + paras(head + REPORT + ["相关资源", "工会工作总结.docx"]) + "</div>",
    )
    ex = process_capture("http://w.test/p-7125872.html", "text/html", page.encode())
    doc = ex.documents[0]
    assert doc["title"] == "关于我市工会工作情况的汇报"
    assert doc["text"].splitlines()[:2] == ["关于全市工会工作情况的汇报", "广元市总工会"]
    assert (
        "工人先锋号" in doc["text"] and "上传人" not in doc["text"] and "冰豆网" not in doc["text"]
    )
    assert doc["org"] == "广元市总工会" and doc["report_date"] == "2011-11-01"


def test_traditional_page_becomes_simplified():
    lines = [
        "在區委和市總工會的領導下，全區工會工作以習近平新時代中國特色社會主義思想為統領，推進重點工作落實落地。",
        "一、著力思想引領，宣傳教育更加有力。",
    ]
    ex = process_capture(
        "http://t.test/a.html",
        "text/html; charset=big5",
        html(
            "2021年度總工會工作總結",
            "<div id='ArticleBody'>"
            + paras(
                ["發布日期：民國110年12月26日 本文轉載自區總工會"]
                + lines
                + ["返回列表　列印", "上一則：關於做好2022年元旦期間工作的通知"]
            )
            + "</div>",
            charset="big5",
        ).encode("big5"),
    )
    doc = ex.documents[0]
    assert ex.encoding == "big5" and doc["script"] == "Hant"
    assert "总工会的领导" in doc["text"] and doc["title"] == "2021年度总工会工作总结"
    assert doc["text"].startswith("在区委") and doc["text"].endswith("更加有力。")
    assert doc["published_date"] == "2021-12-26"


def test_list_page_yields_no_documents():
    items = "".join(
        f"<li><a href='/a/{i}.html'>关于做好第{i}批基层工会经费审查工作的通知</a>"
        f"<span>2024-03-{i + 10:02d}</span></li>"
        for i in range(1, 16)
    )
    body = (
        f"<div class='list'><ul>{items}</ul></div><div class='pages'>首页 上一页 下一页 尾页</div>"
    )
    ex = process_capture(
        "http://a.test/tzgg/index.html", "text/html", html("通知公告_川北职工之家", body).encode()
    )
    assert ex.error is None and ex.documents == []


def test_binary_served_as_html_is_an_error():
    ex = process_capture("http://a.test/x.html", "text/html", b"%PDF-1.4\n" + bytes(range(256)))
    assert ex.error and ex.documents == []


# ---------------------------------------------------------------- splitting

FANWEN = [
    "以下是小编为大家收集的工会工作总结（通用3篇），仅供参考，欢迎大家阅读。",
    "篇1：2022年社区工会工作总结",
    "今年以来，社区工会在街道总工会的指导下，围绕中心工作开展职工服务。",
    "一是开展送温暖活动，走访困难职工20户。",
    "【篇2】2000字",
    "2022年街道工会工作总结",
    "2022年街道工会坚持以职工为中心，深化职工之家建设。",
    "第三篇：企业工会年度工作总结",
    "一年来，公司工会在党委领导下，积极组织劳动竞赛，维护职工合法权益。",
]


def test_split_parts_markers():
    parts = split_parts(FANWEN[1:])
    assert [t for t, _ in parts] == [
        "2022年社区工会工作总结",
        "2022年街道工会工作总结",
        "企业工会年度工作总结",
    ]
    assert parts[1][1] == ["2022年街道工会坚持以职工为中心，深化职工之家建设。"]


def test_split_parts_title_then_marker():
    lines = [
        "工会工作总结 篇1",
        "社区工会围绕中心工作开展职工服务。",
        "工会工作总结 篇2",
        "街道工会深化职工之家建设。",
    ]
    parts = split_parts(lines)
    assert [t for t, _ in parts] == ["工会工作总结", "工会工作总结"]
    assert parts[1][1] == ["街道工会深化职工之家建设。"]


def test_one_marker_inside_a_text_is_not_a_split():
    lines = ["正文内容。", "其他内容。", "还有内容。", "篇1：总结", "正文内容。"]
    assert split_parts(lines) == [(None, lines)]


def test_fanwen_page_split_into_documents():
    page = html(
        "工会工作总结(通用3篇) - 范文网",
        "<div class='crumb'>您的位置:范文网>工作总结</div><div class='content'>"
        + paras(FANWEN)
        + "</div><div class='footer'>京ICP备00000000号</div>",
    )
    ex = process_capture("http://f.test/zj/1.html", "text/html", page.encode())
    docs = ex.documents
    assert [d["part"] for d in docs] == [1, 2, 3]
    assert [d["title"] for d in docs] == [
        "2022年社区工会工作总结",
        "2022年街道工会工作总结",
        "企业工会年度工作总结",
    ]
    assert all("小编" not in d["text"] and "ICP" not in d["text"] for d in docs)
    assert docs[0]["text"].startswith("今年以来")


# ---------------------------------------------------------------- multi-page

PAGER = '<script>createPageHTML({n}, {i}, "t20171117_5577604", "html");</script>'


def test_pagination_from_createpagehtml():
    assert pagination(
        PAGER.format(n=3, i=2), "http://a.test/gzbg/201711/t20171117_5577604_2.html"
    ) == (2, 3, "http://a.test/gzbg/201711/t20171117_5577604.html")
    assert pagination(PAGER.format(n=1, i=0), "http://a.test/x.html") is None


def test_multipage_article_stitched():
    base = "http://a.test/gzbg/201711/t20171117_5577604"
    chunks = [REPORT[:3], REPORT[3:5], REPORT[5:]]
    pages = []
    for i, chunk in enumerate(chunks):
        url = f"{base}.html" if i == 0 else f"{base}_{i}.html"
        body = trs_page("关于全市工会工作情况的汇报", chunk, after=PAGER.format(n=3, i=i))
        pages.append(process_capture(url, "text/html", body))
    assert [(p.page_index, p.page_count) for p in pages] == [(0, 3), (1, 3), (2, 3)]
    assert pages[0].continuation_of is None
    assert pages[1].continuation_of == pages[2].continuation_of == f"{base}.html"
    docs = stitch(pages)
    assert len(docs) == 1
    assert docs[0]["title"] == "关于全市工会工作情况的汇报"
    assert "".join(docs[0]["text"].split()) == "".join(
        "".join(REPORT).replace("(", "（").replace(")", "）").split()
    )
    assert docs[0]["report_date"] == "2011-11-01"


def test_stitch_empty():
    assert stitch([]) == [] and stitch([Extraction(url="http://a.test/")]) == []


def test_pagination_from_pager_links():
    from archive.extract.dom import parse_html
    from archive.extract.pagination import pagination_from_links

    links = (
        "<a href='t20171117_5577604.html'>1</a><a href='t20171117_5577604_1.html'>2</a>"
        "<a href='t20171117_5577604_2.html'>3</a><a href='t20171118_5577700.html'>下一篇</a>"
    )
    root = parse_html(html("x", links))
    assert pagination_from_links(root, "http://a.test/gz/t20171117_5577604_1.html") == (
        1,
        3,
        "http://a.test/gz/t20171117_5577604.html",
    )
    one_based = parse_html(
        html("x", "<a href='8530177.shtml'>1</a><a href='8530177_2.shtml'>2</a>")
    )
    assert pagination_from_links(one_based, "http://n.test/c/8530177.shtml") == (
        0,
        2,
        "http://n.test/c/8530177.shtml",
    )
    assert pagination_from_links(one_based, "http://n.test/c/8530177_2.shtml") == (
        1,
        2,
        "http://n.test/c/8530177.shtml",
    )
    assert (
        pagination_from_links(parse_html(html("x", links)), "http://a.test/gz/other.html") is None
    )


def _pagination_from_links_by_definition(root, url):
    """pagination_from_links as first written: every link resolved and matched against a
    pattern made for the page (the fast path skips links that cannot name a sibling)."""
    import re
    from urllib.parse import urljoin, urlsplit

    m = re.match(r"^(.*?)(?:_(\d{1,3}))?\.(s?html?)$", urlsplit(url).path)
    if not m:
        return None
    stem, own, ext = m.group(1), int(m.group(2)) if m.group(2) else None, m.group(3)
    sibling = re.compile(re.escape(stem) + r"_(\d{1,3})\." + ext + "$")
    nums = set()
    for a in root.iter("a"):
        href = a.get("href")
        if href and not href.startswith(("javascript:", "#", "mailto:")):
            mm = sibling.match(urlsplit(urljoin(url, href)).path)
            if mm:
                nums.add(int(mm.group(1)))
    if not nums:
        return None
    if own is not None:
        nums.add(own)
    zero_based = 1 in nums
    index = 0 if own is None else (own if zero_based else own - 1)
    count = max(nums) + 1 if zero_based else max(nums)
    first = urljoin(url, f"{stem.rsplit('/', 1)[-1]}.{ext}")
    return (index, count, first) if count > 1 and index < count else None


def test_pagination_from_links_fast_path_matches_its_definition():
    import random

    from archive.extract.dom import parse_html
    from archive.extract.pagination import pagination_from_links

    # a link back to the page itself ("?page=2") names no sibling but counts as one
    own = parse_html(html("x", "<a href='?page=2'>2</a>"))
    assert pagination_from_links(own, "http://a.test/b_1.html") == (1, 2, "http://a.test/b.html")
    assert pagination_from_links(own, "http://a.test/b.html") is None
    pages = [
        "http://h/a/b.html",
        "http://h/a/b_1.html",
        "http://h/a/b_2.shtml",
        "http://h/x_y/c_3.htm",
        "http://h/a/b_12.html",
        "http://h/a/b",
    ]
    hrefs = [
        "",
        "?p=2",
        " ?x",
        "http:",
        "b_1.html",
        "b_2.html",
        "b_3.shtml",
        "./b_4.html",
        "/a/b_5.html",
        "../a/b_1.html",
        "http://o/a/b_2.html",
        "c_3.htm",
        "b.html",
        "x_y/c_1.htm",
        "/x_y/c_2.htm",
        "b_1.html?q=1",
        "b_1000.html",
        "//h",
        "B_2.html",
        "b_2.HTML",
        "..",
        "b%5F2.html",
        "\tb_2.html",
        "#top",
        "javascript:;",
    ]
    rnd = random.Random(11)
    for _ in range(3000):
        url, links = rnd.choice(pages), [rnd.choice(hrefs) for _ in range(rnd.randint(0, 4))]
        root = parse_html(html("x", "".join(f'<a href="{h}">x</a>' for h in links)))
        assert pagination_from_links(root, url) == _pagination_from_links_by_definition(
            root, url
        ), (url, links)


def test_fanwen_split_by_headings_when_title_counts_parts():
    body = (
        "<div class='content'><p>以下是小编整理的工会工作总结，供大家参考。</p>"
        "<h2>2022年社区工会工作总结</h2><p>今年以来，社区工会围绕中心工作开展职工服务，走访困难职工20户。</p>"
        "<h2>2022年街道工会工作总结</h2><p>街道工会坚持以职工为中心，深化职工之家建设，新建职工书屋3个。</p>"
        "</div>"
    )
    ex = process_capture(
        "http://f.test/zj/2.html", "text/html", html("工会工作总结(精选2篇)-范文网", body).encode()
    )
    assert [(d["part"], d["title"]) for d in ex.documents] == [
        (1, "2022年社区工会工作总结"),
        (2, "2022年街道工会工作总结"),
    ]
    assert ex.documents[1]["text"].startswith("街道工会坚持")
    # without the announced count, headings are sections of one report
    ex = process_capture(
        "http://f.test/zj/3.html", "text/html", html("工会工作总结-范文网", body).encode()
    )
    assert len(ex.documents) == 1 and ex.documents[0]["part"] == 0


def test_oversized_page_is_refused_quickly():
    from archive.extract.page import MAX_PAGE_BYTES

    body = html("汇编", paras(REPORT) * 10).encode()
    body += b"<p>" + b"x" * (MAX_PAGE_BYTES - len(body) + 10) + b"</p>"
    ex = process_capture("http://a.test/all.html", "text/html", body)
    assert ex.error and "too large" in ex.error and ex.documents == []


def test_editor_credit_in_parentheses_is_chrome():
    ex = process_capture(
        "http://n.test/c/1.shtml",
        "text/html",
        html(
            "市总工会举办职工技能大赛 - 工会动态 - 职工日报网",
            "<div class='ccontent'>" + paras(SHORT + ["（责任编辑：王明）"]) + "</div>",
        ).encode(),
    )
    assert text_of(ex).splitlines() == SHORT


def test_chrome_glued_into_running_text():
    body = "今年以来，我市各级工会组织深入学习贯彻党的十七大精神，狠抓各项工作落实。" * 6
    lines, _ = boilerplate.clean_lines(
        [
            body
            + "已阅读5页,还剩13页未读 继续免费阅读"
            + body
            + "下载本文档 版权说明:本文档由用户提供并上传，收益归属内容提供方"
        ]
    )
    assert lines == [body + body]


def test_pinyin_inserted_by_spam_converters_is_removed():
    assert boilerplate.clean_lines(["全區工會工作報(bào)告如下，職(zhí)工代表大會(ABC)"])[0] == [
        "全區工會工作報告如下，職工代表大會(ABC)"
    ]


def test_site_wide_title_falls_back_to_heading():
    body = (
        "<h1 class='logo'><a href='/'>川北职工之家</a></h1><h2>市总工会举办职工技能大赛</h2>"
        "<div class='ccontent'>" + paras(SHORT) + "</div>"
    )
    ex = process_capture("http://a.test/1.html", "text/html", html("川北职工之家", body).encode())
    assert ex.documents[0]["title"] == "市总工会举办职工技能大赛"


def test_related_heading_before_the_body_does_not_cut_it():
    lines, _ = boilerplate.clean_lines(
        ["相关文章", "2022年工会工作总结", "2021年工会工作计划"] + REPORT
    )
    assert lines[-len(REPORT) :] == REPORT
    lines, _ = boilerplate.clean_lines(REPORT[:3] + ["相关要求"] + REPORT[3:])
    assert lines == REPORT[:3] + ["相关要求"] + REPORT[3:]


def test_short_body_inside_a_print_area_survives():
    body = (
        "<div class='crumb'>当前位置：<a href='/'>首页</a></div><div id='printArea'>"
        + paras(SHORT[:1])
        + "</div><div class='share'>分享到：<a>微信</a></div>"
    )
    ex = process_capture(
        "http://p.test/1.html",
        "text/html",
        html("市总工会举办职工技能大赛-某市总工会", body).encode(),
    )
    assert text_of(ex) == SHORT[0]


def test_one_part_per_page():
    lines = [
        "篇2：2022年街道工会工作总结",
        "2022年街道工会坚持以职工为中心，深化职工之家建设，新建职工书屋3个。",
        "下一步，街道工会将继续做好会员服务工作。",
    ]
    ex = process_capture(
        "http://f.test/zj/1_2.html",
        "text/html",
        html(
            "街道工会工作总结 篇2-范文网", "<div class='content'>" + paras(lines) + "</div>"
        ).encode(),
    )
    (doc,) = ex.documents
    assert doc["part"] == 0 and doc["title"] == "街道工会工作总结"
    assert doc["text"].splitlines() == lines[1:]


# ---------------------------------------------------------------- portals not in the zoo
# Templates modelled on ../shared/reference/portals.md (never used to write the rules):
# each must come out as exactly its report text, with no chrome string left.

SIMING = [
    "思明区目前有基层工会3021家，覆盖单位13949家，工会组建率达81%；工会会员237252人，职工入会率达87%。",
    "一、强化领导、营造环境，全力保障工会工作顺利开展",
    "思明区委充分发挥党委“总揽全局、协调各方”的领导核心作用，切实把工会工作摆在全区工作的重要位置。",
]

UNSEEN = {
    "hanweb": (
        "http://jsgh.test/art/2026/9/16/art_77278_11830771.html",
        "utf-8",
        f"""
<div class="bt-head"><a href="/">江苏工会</a><a href="/col/col77278/">工会要闻</a>\
<a href="/col/col77279/">基层动态</a><a href="/col/col77280/">通知公告</a></div>
<div class="bt-position">您现在的位置：<a href="/">首页</a> &gt; <a href="/col/col77278/">工会要闻\
</a></div>
<div class="main"><div class="art-title">强化组织保障 发挥优势作用</div>
<div class="art-info">日期：2026-09-16　来源：省总工会　浏览次数：<span id="c">128</span>　【<a>大\
</a> <a>中</a> <a>小</a>】</div>
<div id="zoom">{paras(SIMING)}</div>
<div class="bt-share">分享到：<a>微信</a> <a>微博</a> <a>QQ空间</a></div>
<div class="art-print">【<a href="javascript:window.print()">打印本页</a>】【\
<a href="javascript:window.close()">关闭窗口</a>】</div></div>
<div class="bt-foot"><p>主办：江苏省总工会　承办：江苏工会网络中心</p>\
<p>苏ICP备05012345号-1　苏公网安备 32010202000123号　网站标识码：3200000001</p></div>""",
        "强化组织保障 发挥优势作用_江苏省总工会",
        "2026-09-16",
    ),
    "old-jsp-gbk": (
        "http://old.acftu.test/template/10001/file.jsp?cid=222&aid=98765",
        "gbk",
        f"""
<table width="100%"><tr><td><a href="/">首页</a> | <a href="/column.jsp?cid=1">工会新闻</a> | \
<a href="/column.jsp?cid=2">理论研究</a> | <a href="/column.jsp?cid=3">他山之石</a></td></tr>\
</table>
<table><tr><td class="file_title">强化组织保障 发挥优势作用</td></tr>
<tr><td class="file_date">2013-03-22</td></tr>
<tr><td><div id="ArticleBody">{paras(SIMING)}</div></td></tr>
<tr><td align="right"><a href="javascript:window.print()">【打印此页】</a>\
<a href="javascript:window.close()">【关闭窗口】</a></td></tr></table>
<table><tr><td>版权所有：中华全国总工会　京ICP备05012345号　\
(建议使用1024×768分辨率 IE7.0以上版本浏览器)</td></tr></table>""",
        "强化组织保障 发挥优势作用",
        None,
    ),
    "people-repost": (
        "http://acftu.people.test/n1/2023/1013/c67502-40094626.html",
        "utf-8",
        f"""
<div class="top_nav"><a href="/">人民网</a> <a href="/GB/">首页</a> <a href="/BIG5/">繁体</a> <a>\
English</a></div>
<div class="route"><a href="/">工会新闻</a>&gt;&gt;<a href="/GB/67502/">正文</a></div>
<div class="rm_txt"><h1>强化组织保障 发挥优势作用</h1>
<div class="channel">2023年10月13日08:15 | 来源：<a>工人日报</a></div>
<div class="rm_txt_con">{paras(SIMING)}<p class="edit">(责编：王明、李华)</p></div>
<div class="share-demo">分享让更多人看到</div></div>
<div class="rm_relevant"><h3>相关新闻</h3><ul><li><a>某某工会召开全委会</a></li><li>\
<a>某某工会开展送温暖活动</a></li></ul></div>
<div class="footer">人民网版权所有，\
未经书面授权禁止使用 Copyright © 1997-2023 by www.people.com.cn. all rights reserved</div>""",
        "强化组织保障 发挥优势作用--工会新闻--人民网",
        "2023-10-13",
    ),
    "taiwan-drupal": (
        "http://tw.test/zh-hant/news/qiang-hua-zu-zhi-bao-zhang",
        "utf-8",
        """
<div id="header"><a href="/">勞工資訊網</a> <a href="/zh-hant/news">最新消息</a> \
<a href="/zh-hant/about">關於我們</a> <a href="/zh-hans">简体</a></div>
<div class="breadcrumb"><a href="/">首頁</a> › <a href="/zh-hant/news">最新消息</a></div>
<h1 class="page-title">強化組織保障 發揮優勢作用</h1>
<div class="submitted">發布日期：民國114年12月26日</div>
<div class="field-item even"><p>思明區目前有基層工會3021家，覆蓋單位13949家，工會組建率達81%；\
工會會員237252人，職工入會率達87%。</p>
<p>一、強化領導、營造環境，全力保障工會工作順利開展</p>
<p>思明區委充分發揮黨委“總攬全局、協調各方”的領導核心作用，切實把工會工作擺在全區工作的重要位置。</p></div>
<div class="links">友善列印　回上頁　回首頁</div>
<div id="footer">版權所有 © 勞工資訊網　地址：臺北市中正區　電話：(02)2345-6789</div>""",
        "強化組織保障 發揮優勢作用 | 勞工資訊網",
        "2025-12-26",
    ),
}


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_unseen_portal_templates_come_out_clean(name):
    from archive.evaluate.zoo import leaks_in, text_f1

    url, charset, body, title, date = UNSEEN[name]
    page = html(title, body, charset=charset).encode(charset)
    ex = process_capture(url, f"text/html; charset={charset}", page)
    (doc,) = ex.documents
    assert text_f1("\n".join(SIMING), doc["text"]) == 1.0, doc["text"]
    assert leaks_in(doc["text"]) == [] and "责编" not in doc["text"]
    assert doc["title"] == "强化组织保障 发挥优势作用"
    if date:
        assert doc["published_date"] == date


def test_han_count_is_the_number_of_han_characters():
    """Both paths of ``han_count`` (short texts by regex, long ones by numpy) count the
    characters in U+4E00-9FFF, edges and astral or lone-surrogate neighbours included."""
    import random

    from archive.extract.dom import han_count

    rnd = random.Random(8)
    pool = [
        "\u4e00",
        "\u9fff",
        "\u4dff",
        "\ua000",
        "工",
        "會",
        "a",
        " ",
        "\n",
        "，",
        "\U00020000",
        "\ud800",
        "\u3000",
        "1",
    ]
    for n in [0, 1, 5, 63, 64, 65, 200, 3000] * 25:
        text = "".join(rnd.choice(pool) for _ in range(n))
        assert han_count(text) == sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff"), text


def test_a_page_nested_deeper_than_the_parser_goes_is_a_recorded_error():
    """lxml (libxml2) silently drops what is nested deeper than 255 elements: a 200,000-deep
    page gave no document and no error; the parser's limit is now the capture's error."""
    from tests.bombs import PAGE, deep_page

    ex = process_capture("http://a.test/deep.html", "text/html; charset=utf-8", deep_page())
    assert ex.documents == []
    assert ex.error == (
        "html not extracted: the parser stopped at a limit "
        "(Excessive depth in document: 256, use XML_PARSE_HUGE option)"
    )
    shallow = process_capture("http://a.test/deep.html", "text/html; charset=utf-8", deep_page(200))
    assert shallow.error is None and len(shallow.documents) == 1
    assert process_capture("http://a.test/f.html", "text/html", PAGE).error is None
