"""Metadata of documents: dates, year, org, region, doc_type, report detection."""

import pytest

from archive.extract.metadata import date_from_url, describe, doc_type_of
from archive.extract.normalize import normalize_text
from archive.extract.regions import find_places, region_of
from tests.seeds import seed


def body(raw: str, start: str, end: str | None = None) -> str:
    """The report as extraction cuts it out of a seed page (chrome before/after removed)."""
    text = raw[raw.index(start) : raw.index(end) if end else None]
    return normalize_text(text).text


# ------------------------------------------------------------------ seeds


def test_bdocx_seed():
    text = body(seed("bdocx-guangyuan-2011.txt"), "关于全市工会工作情况的汇报\n", "展开阅读全文")
    d = describe("关于全市工会工作情况的汇报", text, "https://www.bdocx.com/doc/7125872.html")
    assert d["report_date"] == "2011-11-01"
    assert d["year"] == 2011
    assert d["org"] == "广元市总工会"
    assert d["region"] == "四川省广元市"
    assert d["doc_type"] == "汇报"
    assert d["is_report"] == 1 and d["report_score"] >= 0.8


def test_xmgh_seed():
    text = body(seed("xmgh-siming-2012.txt"), "思明区目前", "收藏本页")
    d = describe(
        "强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)",
        text,
        "http://www.xmgh.org/ztzl/jyjl/2012/0516/1.html",
        published_hint="发表日期:2012-05-16",
    )
    assert d["published_date"] == "2012-05-16"
    assert d["org"] == "中共厦门市思明区委"  # 思明区委 in its usual full form
    assert d["region"] == "福建省厦门市思明区"
    assert d["doc_type"] == "经验交流"
    assert d["year"] == 2012
    assert d["is_report"] == 1
    # the same report uploaded to a 文库 in 2023: the upload year is not the report's year
    d = describe(
        "强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)",
        text,
        "http://wenku.example/p-9023317.html",
        published_hint="上传时间:2023-07-03",
    )
    assert d["published_date"] == "2023-07-03" and d["year"] is None


def test_traditional_seed():
    r = normalize_text(seed("district-2021-traditional.txt"))
    title, text = r.text.split("\n", 1)
    d = describe("2021年度總工會工作總結", text, "https://example.tw/node/1")
    assert d["year"] == 2021
    assert d["doc_type"] == "总结"
    assert d["org"] is None  # "区总工会" alone names nobody
    assert d["is_report"] == 1


# ------------------------------------------------------------------ dates


def test_published_from_hint_then_text_then_url():
    text = "正文第一段，工会工作情况。"
    assert (
        describe(
            "t", text, "http://a/202403/t20240329_1068756.html", published_hint="2016/11/11 9:37:15"
        )["published_date"]
        == "2016-11-11"
    )
    assert (
        describe("t", "发布时间：2016-11-12 09:41:00\n" + text, "http://a/x.html")["published_date"]
        == "2016-11-12"
    )
    assert (
        describe("t", text, "http://a/202403/t20240329_1068756.html")["published_date"]
        == "2024-03-29"
    )
    assert describe("t", text, "http://a/x.html")["published_date"] is None


@pytest.mark.parametrize(
    "url, iso",
    [
        ("http://cz.hebzgfw.cn/hhs/hhwx/zghd/202403/t20240329_1068756.html", "2024-03-29"),
        ("http://www.jsgh.org/art/2026/9/16/art_77278_11830771.html", "2026-09-16"),
        ("https://www.workercn.cn/c/2026-02-25/8740893.shtml", "2026-02-25"),
        ("http://acftu.people.com.cn/n1/2023/1013/c67502-40094626.html", "2023-10-13"),
        ("http://www.grrb.com.cn/papers/grrb/2022/10/28/1/page.html", "2022-10-28"),
        ("http://old.acftu.org/template/10001/column.jsp?cid=222", None),
        ("http://a/P020260930389614168185.pdf", None),
    ],
)
def test_date_from_url(url, iso):
    assert date_from_url(url) == iso


REPORT = (
    "今年以来，我市各级工会组织深入学习贯彻党的精神，狠抓各项工作落实，取得了明显成效。\n"
    "一、主要工作情况\n"
    + "全市工会积极开展劳动竞赛，职工参赛达10万人次，困难职工帮扶扎实推进。\n" * 12
    + "二、下一步工作打算\n"
    + "进一步加强基层工会建设，深入开展工资集体协商，维护职工合法权益。\n" * 8
)


@pytest.mark.parametrize(
    "head, tail, iso",
    [
        ("广元市总工会\n（2011年11月1日）", "", "2011-11-01"),
        ("（二〇一九年八月十九日）\n张三", "", "2019-08-19"),
        ("广元市总工会 2011年11月1日", "", "2011-11-01"),
        ("", "\n苍溪县总工会\n2021年12月20日", "2021-12-20"),
        ("", "\n二〇二二年一月五日", "2022-01-05"),
        ("", "", None),
    ],
)
def test_report_date(head, tail, iso):
    text = (head + "\n" if head else "") + REPORT + tail
    assert describe("关于全县工会工作情况的汇报", text, None)["report_date"] == iso


@pytest.mark.parametrize(
    "title, head, iso, year",
    [
        ("2021年度總工會工作總結", "", None, 2021),
        ("关于全市工会工作情况的汇报", "（2011年11月1日）", "2011-11-01", 2011),
        ("二〇一九年工会工作总结", "", None, 2019),
        ("市总工会工作总结", "——2018年工作回顾", None, 2018),
        ("20xx年工会工作总结", "", None, None),
    ],
)
def test_year(title, head, iso, year):
    text = (head + "\n" if head else "") + REPORT
    d = describe(title, text, None)
    assert d["report_date"] == iso
    assert d["year"] == year


# ------------------------------------------------------------------ org and region


@pytest.mark.parametrize(
    "title, head, tail, org, region",
    [
        (
            "关于全市工会工作情况的汇报",
            "广元市总工会\n（2011年11月1日）",
            "",
            "广元市总工会",
            "四川省广元市",
        ),
        ("激发工会活力（思明区委）", "", "", "中共厦门市思明区委", "福建省厦门市思明区"),
        ("激发工会活力（中共厦门市思明区委）", "", "", "中共厦门市思明区委", "福建省厦门市思明区"),
        ("广元市委关于加强工会工作的报告", "", "", "中共广元市委", "四川省广元市"),
        ("强化服务职能（厦门市思明区总工会）", "", "", "厦门市思明区总工会", "福建省厦门市思明区"),
        ("广元市总工会关于2011年工作的总结", "", "", "广元市总工会", "四川省广元市"),
        ("北京市朝阳区总工会2021年工作总结", "", "", "北京市朝阳区总工会", "北京市朝阳区"),
        (
            "2021年工会工作总结",
            "",
            "\n苍溪县总工会\n2021年12月20日",
            "苍溪县总工会",
            "四川省广元市苍溪县",
        ),
        ("2021年工会工作总结", "", "\n江苏省总工会\n2021年12月20日", "江苏省总工会", "江苏省"),
        ("凉山州总工会2020年工作报告", "", "", "凉山州总工会", "四川省凉山彝族自治州"),
        ("在全区工会工作会议上的讲话", "（2019年8月19日）\n王某某", "", None, None),
        (
            "在市总工会十一届四次全委（扩大）会议上的讲话",
            "（2019年8月19日）\n德阳市总工会主席 李堃\n同志们：",
            "",
            "德阳市总工会",
            "四川省德阳市",
        ),
        (
            "在市总工会X届X次全委（扩大）会议上的讲话",
            "（20xx年x月x日）\nXX市总工会主席 XXX\n同志们：",
            "",
            "XX市总工会",
            None,
        ),
        ("在全市工会工作会议上的讲话", "市总工会主席 李堃\n同志们：", "", None, None),
        ("XX县总工会20xx年工作总结", "", "", "XX县总工会", None),  # template orgs are kept
        ("关于全市工会工作情况的汇报", "XX市总工会\n（20xx年11月1日）", "", "XX市总工会", None),
        ("XX镇工会20xx年一季度工作简报", "", "", "XX镇工会", None),
        (
            "街道工会工作经验交流材料",
            "近年来，城厢街道总工会按照区总工会的部署，坚持党建带工建。",
            "",
            "城厢街道总工会",
            None,
        ),
        ("2021年工作总结", "今年以来，县总工会在县委的领导下，扎实工作。", "", None, None),
        ("2021年度总工会工作总结", "", "", None, None),
    ],
)
def test_org_and_region(title, head, tail, org, region):
    text = (head + "\n" if head else "") + REPORT + tail
    d = describe(title, text, None)
    assert (d["org"], d["region"]) == (org, region)


@pytest.mark.parametrize(
    "s, region",
    [
        ("广元市总工会", "四川省广元市"),
        ("思明区委", "福建省厦门市思明区"),
        ("长春市朝阳区总工会", "吉林省长春市朝阳区"),
        ("朝阳区总工会", None),  # two 朝阳区: nothing settles it
        ("广西总工会", "广西壮族自治区"),
        ("琼海市总工会", "海南省琼海市"),
        ("上海市总工会", "上海市"),
        ("市和县两级工会", None),
        ("延边州总工会", "吉林省延边朝鲜族自治州"),
    ],
)
def test_region_of(s, region):
    assert region_of(s) == region


def test_region_from_text_when_no_org():
    text = (
        "广元市各级工会"
        + REPORT
        + "广元市总工会牵头，苍溪县、旺苍县工会配合。广元市职工服务中心建成。"
    )
    d = describe("2011年工会工作总结", text, None)
    assert d["org"] is None
    assert d["region"] == "四川省广元市"


def test_find_places_longest_first():
    places = find_places("凉山彝族自治州甘洛县")
    assert [c[0].name for _pos, c in places] == ["凉山彝族自治州", "甘洛县"]


# ------------------------------------------------------------------ doc type


@pytest.mark.parametrize(
    "title, kind",
    [
        ("关于全市工会工作情况的汇报", "汇报"),
        ("2021年度總工會工作總結", "总结"),
        ("县总工会2021年工作总结及2022年工作计划", "总结"),
        ("在市总工会十五届三次全委会上的工作报告", "报告"),
        ("工会主席述职报告", "报告"),
        ("工会工作经验交流材料", "经验交流"),
        ("在全市工会工作会议上的讲话", "讲话"),
        ("在全市工会工作会议上的典型发言", "经验交流"),
        ("2022年工会工作计划", "计划"),
        ("市总工会2023年工作要点", "计划"),
        ("关于开展“安康杯”竞赛活动的通知", "other"),
        ("激发工会活力（思明区委）", "经验交流"),
    ],
)
def test_doc_type(title, kind):
    assert doc_type_of(title) == kind


def test_doc_type_from_context():
    assert (
        doc_type_of("强化组织保障 发挥优势作用", "", "首页>>专题专栏>>经验交流材料") == "经验交流"
    )


# ------------------------------------------------------------------ report detection

NEWS = (
    "本报讯（记者 王某 通讯员 李某）近日，市总工会在市职工服务中心举行“金秋助学”助学金发放仪式，"
    "为300名困难职工子女发放助学金60万元。据悉，今年市总工会共筹集助学资金225万元。\n"
    "市总工会主席出席仪式并讲话，勉励受助学生努力学习，回报社会。"
)
NOTICE = (
    "各区县总工会，各产业工会：\n为深入贯彻落实安全生产工作部署，经研究，决定在全市开展2024年度"
    "“安康杯”竞赛活动。现就有关事项通知如下：\n一、活动时间\n2024年4月至12月。\n二、参加范围\n"
    "全市各类企业及职工。\n三、工作要求\n各单位要高度重视，精心组织，按时报送材料。\n市总工会\n2024年3月20日"
)
QA = (
    "问：用人单位不与职工签订劳动合同怎么办？\n答：职工可以向劳动保障监察机构投诉，工会可以提供法律援助。\n"
    "问：加班工资如何计算？\n答：按照劳动法规定，工作日加班支付不低于工资百分之一百五十的工资报酬。\n"
    "问：工会会员有哪些权利？\n答：会员享有选举权、被选举权和表决权。"
)
NEWS2 = (
    "4月28日上午，全市庆祝“五一”国际劳动节暨劳动模范表彰大会在市会议中心召开。会议表彰了100名市级劳动模范"
    "和先进工作者。市总工会主席在会上作了讲话，要求广大职工以劳模为榜样，在推动高质量发展中建功立业。"
)
BRIEF = (
    "一季度，镇工会走访慰问困难职工和农民工46户，发放慰问金2.3万元；组织春风行动招聘会1场，提供岗位320个；"
    "新建村级工会联合会2个，发展会员118名；开展安全生产宣传进企业活动3次。二季度将重点做好五一劳动节系列活动。"
)
SMALL_SUMMARY = (
    "2022年，社区工会联合会新增会员63名，组织职工开展志愿服务12次，为辖区户外劳动者送清凉物资价值1.1万元，"
    "调解劳动纠纷4起。明年将继续做好会员服务和困难职工帮扶工作，争创市级模范职工之家。"
)
QUIZ = (
    "一、单项选择题\n1.中国工会是中国共产党领导的职工自愿结合的工人阶级群众组织，"
    "是党联系职工群众的（ ）。答案：桥梁和纽带\n"
    "2.基层工会委员会每届任期（ ）年至五年。答案：三\n二、简答题\n1.工会的基本职责是什么？"
    "答：维护职工合法权益、竭诚服务职工群众。"
)
GOV = (
    "2021年全市经济运行总体平稳，地区生产总值增长6.5%。一、主要经济指标\n"
    + "工业增加值增长7%，固定资产投资增长8%，社会消费品零售总额增长9%。\n" * 15
)


@pytest.mark.parametrize(
    "title, text, expected",
    [
        ("关于全县工会工作情况的汇报", REPORT, 1),
        ("2021年度工会工作总结", REPORT, 1),
        ("在县总工会第五次代表大会上的工作报告", REPORT, 1),
        ("工会工作经验交流材料", REPORT, 1),
        ("市总工会举行“金秋助学”助学金发放仪式", NEWS, 0),
        ("市总工会召开2021年工作总结会", NEWS, 0),
        ("关于开展2024年度“安康杯”竞赛活动的通知", NOTICE, 0),
        ("职工维权百问百答", QA, 0),
        ("2021年国民经济运行情况", GOV, 0),
        ("市总工会主席在劳模表彰大会上作工作报告", NEWS2, 0),
        (
            "元坝镇工会2023年一季度工作简报",
            BRIEF,
            1,
        ),  # short, but a report by its title and content
        ("南山社区工会联合会2022年工作小结", SMALL_SUMMARY, 1),
        ("工会知识竞赛试题及答案", QUIZ, 0),
    ],
)
def test_is_report(title, text, expected):
    d = describe(title, text, None)
    assert d["is_report"] == expected, d["report_score"]


# ------------------------------------------------------------------ zoo ground truth


def test_zoo_gold_metadata_accuracy(zoo):
    """describe() on the zoo's gold texts (perfect extraction) against its ground truth.
    Some truth values are on no page (speech-2019's org, plan-2024's region, datelines of
    several reports): the bars sit at what the pages allow, not at 1.0."""
    docs = [d for d in zoo.truth["documents"] if d.get("reachable", True)]
    fields = ["report_date", "year", "org", "region", "doc_type", "is_report"]
    hits = {f: 0 for f in fields}
    misses = []
    for d in docs:
        got = describe(
            d["title"], normalize_text(d["text"]).text, d["url"], published_hint=d["published_date"]
        )
        for f in fields:
            want = int(d[f]) if isinstance(d[f], bool) else (d[f] or None)
            if got[f] == want:
                hits[f] += 1
            else:
                misses.append((d["id"], f, want, got[f]))
    acc = {f: hits[f] / len(docs) for f in fields}
    bars = {
        "report_date": 0.79,
        "year": 0.95,
        "org": 0.97,
        "region": 0.72,
        "doc_type": 1.0,
        "is_report": 1.0,
    }
    assert all(acc[f] >= bars[f] for f in fields), (acc, misses)


def test_fill_from_duplicates():
    from archive.extract.metadata import fill_from_duplicates

    docs = [
        {
            "id": "a",
            "is_report": 1,
            "year": 2012,
            "org": "中共厦门市思明区委",
            "region": "福建省厦门市思明区",
            "report_date": None,
        },
        {
            "id": "b",
            "is_report": 1,
            "year": None,
            "org": "中共厦门市思明区委",
            "region": None,
            "report_date": None,
        },
        {
            "id": "c",
            "is_report": 1,
            "year": 2011,
            "org": None,
            "region": None,
            "report_date": "2011-11-01",
        },
        {
            "id": "d",
            "is_report": 1,
            "year": 2012,
            "org": None,
            "region": None,
            "report_date": "2012-11-01",
        },
        {"id": "e", "is_report": 0, "year": None, "org": None, "region": None, "report_date": None},
    ]
    clusters = {"a": "a", "b": "a", "c": "c", "d": "c", "e": "a"}
    assert fill_from_duplicates(docs, clusters) == {
        "b": {"year": 2012, "region": "福建省厦门市思明区"}
    }


def test_short_report_signature_dateline():
    # a short 简报 (fewer lines than the head window) still has its signature read
    text = (
        "一季度,镇工会走访慰问困难职工46户,发放慰问金2.3万元;组织春风行动招聘会1场。\n"
        "二季度将重点做好五一劳动节系列活动。\n元坝镇工会\n2023年4月3日"
    )
    d = describe("元坝镇工会2023年一季度工作简报", text, "http://h/a.html")
    assert d["report_date"] == "2023-04-03" and d["org"] == "元坝镇工会" and d["year"] == 2023


def test_heading_count_agrees_with_the_multiline_definition():
    """``_count_headings`` scans newline to newline; the definition is ``^`` under re.M."""
    import random
    import re

    from archive.extract.metadata import _HEADING, _count_headings

    definition = re.compile("^" + _HEADING, re.M)
    rng = random.Random(5)
    pieces = [
        "\n",
        "\n\n",
        "一、",
        "十二、",
        "（三）",
        "(四)",
        "3、",
        "12.",
        "７．",
        "五是",
        "是",
        "工会",
        "职工",
        "、",
        "（",
        ")",
        "2024",
        " ",
    ]
    counted = 0
    for n in (0, 1, 2, 5, 40, 300):
        for _ in range(150):
            text = "".join(rng.choice(pieces) for _ in range(n))
            want = len(definition.findall(text))
            assert _count_headings(text) == want, text
            counted += want
    assert counted > 1000


def test_qa_lines_counted_as_the_multiline_pattern_counts():
    import random

    from archive.extract.metadata import _QA, _count_qa

    rng = random.Random(5)
    alphabet = list("问答QA:：\n工会 x") + ["\n问：", "\nA:"]
    seen = 0
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(16)))
        assert _count_qa(s) == len(_QA.findall(s)), s
        seen += _count_qa(s) >= 2
    assert seen > 500


def test_year_and_template_patterns_equal_their_first_forms():
    import random
    import re

    from archive.extract.metadata import _TEMPLATE, _TEXT_YEAR

    first_year = re.compile(r"(?<![\dxX])((?:19|20)\d\d)年")
    first_template = re.compile(
        r"(?<![A-Za-z0-9])(?:[xX×]{2,}|[xX×](?=[区县市镇乡街届次名人万])|_{2,}|＿{2,})"
    )
    rng = random.Random(6)
    alphabet = list("1290xX×_＿a 年区名工") + ["19", "20", "2024年"]
    years = templates = 0
    for _ in range(20_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(14)))
        assert first_year.findall(s) == _TEXT_YEAR.findall(s), s
        for p in range(len(s) + 1):
            a, b = first_template.match(s, p), _TEMPLATE.match(s, p)
            assert (a and a.span()) == (b and b.span()), (s, p)
        years += bool(_TEXT_YEAR.findall(s))
        templates += _TEMPLATE.search(s) is not None
    assert years > 500 and templates > 1000
