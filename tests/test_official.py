"""Official-document (公文) fields: 发文字号, 主送机关, 发文机关, 成文日期."""

import sqlite3

import pytest

from archive.extract.metadata import describe
from archive.extract.normalize import normalize_text
from archive.extract.official import doc_number
from archive.store import schema as store
from tests.conftest import run_cli
from tests.seeds import seed

NONE = {"doc_number": None, "addressee": None, "issuer": None, "issued_date": None}

# a notice laid out as GB/T 9704 and as TRS portals print it (punctuation as pages type it)
NOTICE = """川北工发〔2021〕12号
各县(区)总工会,市级各产业工会,市直各基层工会:
根据《四川省总工会关于做好2021年全省五一劳动奖推荐工作的通知》(川工发〔2021〕3号)精神,经研究,决定开展2021年度川北市五一劳动奖推荐工作。现将有关事项通知如下:
一、推荐名额。全市推荐五一劳动奖状3个、五一劳动奖章10名、工人先锋号8个。
二、工作要求。请各单位于2021年4月10日前将推荐材料报送市总工会经济技术部。
附件:2021年度川北市五一劳动奖推荐汇总表
川北市总工会
二〇二一年三月十二日
(此件公开发布)
抄送:四川省总工会办公室。
川北市总工会办公室 2021年3月15日印发"""
NOTICE_TITLE = "川北市总工会关于做好2021年度五一劳动奖推荐工作的通知"


def fields(title, text):
    d = describe(title, normalize_text(text).text, "http://h/tzgg/202103/t20210315_1.html")
    return {k: d[k] for k in NONE}


@pytest.mark.parametrize(
    "written, number",
    [
        ("京工发〔2021〕12号", "京工发〔2021〕12号"),
        ("京工发[2021]12号", "京工发〔2021〕12号"),
        ("京工发［2021］12号", "京工发〔2021〕12号"),
        ("京工发（2021）第12号", "京工发〔2021〕12号"),
        ("京工发 〔2021〕 12 号", "京工发〔2021〕12号"),
        ("总工办发〔2020〕9号", "总工办发〔2020〕9号"),
        ("2021年12号", None),
        ("京工发〔2021〕", None),
        ("京工发〔21〕12号", None),
    ],
)
def test_doc_number_forms(written, number):
    assert doc_number(written) == number


def test_gbt9704_notice():
    assert fields(NOTICE_TITLE, NOTICE) == {
        "doc_number": "川北工发〔2021〕12号",  # not the cited 川工发〔2021〕3号
        "addressee": "各县（区）总工会，市级各产业工会，市直各基层工会",
        "issuer": "川北市总工会",
        "issued_date": "2021-03-12",  # 二〇二一年: not the printing date
    }


def test_notice_is_not_a_report_but_keeps_its_official_fields():
    d = describe(NOTICE_TITLE, normalize_text(NOTICE).text, None)
    assert d["is_report"] == 0 and d["org"] is None and d["doc_type"] == "other"
    assert d["issuer"] == "川北市总工会" and d["doc_number"]


def test_letterhead_above_the_title_and_a_contact_note_below_the_date():
    """The 版头 as GB/T 9704 sets it (发文机关标志, number, then the title) inside the body,
    and a contact note in parentheses after the date."""
    text = "川北市总工会文件\n" + NOTICE.replace(
        "川北工发〔2021〕12号\n", "川北工发〔2021〕12号\n" + NOTICE_TITLE + "\n"
    ).replace("(此件公开发布)", "(联系人:刘珂,电话:0839-3262012)")
    assert fields(NOTICE_TITLE, text) == fields(NOTICE_TITLE, NOTICE)


def test_issuer_from_the_title_when_the_signature_has_no_name():
    text = NOTICE.replace("川北市总工会\n二〇二一年", "二〇二一年")
    got = fields(NOTICE_TITLE, text)
    assert got["issuer"] == "川北市总工会" and got["issued_date"] == "2021-03-12"
    # neither name nor title: no issuer
    assert fields("关于做好2021年度五一劳动奖推荐工作的通知", text)["issuer"] is None


def test_joint_issue_and_a_department():
    text = NOTICE.replace(
        "川北市总工会\n二〇二一年", "川北市总工会　川北市人力资源和社会保障局\n二〇二一年"
    )
    assert fields(NOTICE_TITLE, text)["issuer"] == "川北市总工会、川北市人力资源和社会保障局"
    text = NOTICE.replace("川北市总工会\n二〇二一年", "川北市总工会\n川北市财政局\n二〇二一年")
    assert fields(NOTICE_TITLE, text)["issuer"] == "川北市总工会、川北市财政局"
    text = NOTICE.replace(
        "川北市总工会\n二〇二一年三月十二日", "川北市总工会权益保障部 2021年3月12日"
    )
    assert fields(NOTICE_TITLE, text)["issuer"] == "川北市总工会权益保障部"


def test_issuer_differs_from_the_report_org():
    """A report sent up as a 公文: its org is the reporting union, the issuer who signed."""
    text = (
        "川北工〔2021〕5号　签发人：李明\n市委、市政府：\n川北市总工会\n"
        "现将我市2020年工会工作情况报告如下。今年以来，全市各级工会组织紧紧围绕市委中心工作，"
        "深入开展劳动竞赛，扎实推进工会组建和会员发展工作，取得了明显成效。\n"
        "一、主要工作\n全年新建基层工会126家，发展会员1.2万人，职工入会率达到91%。\n"
        "二、下一步打算\n进一步加强基层工会规范化建设，深入开展职工之家建设活动。\n"
        "中共川北市总工会党组\n2021年1月20日"
    )
    d = describe("关于2020年全市工会工作情况的报告", normalize_text(text).text, None)
    assert d["is_report"] == 1 and d["org"] == "川北市总工会"
    assert d["doc_number"] == "川北工〔2021〕5号" and d["addressee"] == "市委、市政府"
    assert d["issuer"] == "中共川北市总工会党组" and d["issued_date"] == "2021-01-20"


def test_number_in_the_title_and_labelled_fields():
    got = fields(
        "北京市总工会关于开展2021年职工疗休养工作的通知（京工发〔2021〕12号）",
        "各区总工会：\n现将有关事项通知如下：请各单位认真组织实施。",
    )
    assert got["doc_number"] == "京工发〔2021〕12号" and got["issuer"] == "北京市总工会"
    # a 信息公开 table above the text (索引号 … 发文机关 … 成文日期 … 发文字号)
    got = fields(
        "关于开展2021年职工疗休养工作的通知",
        "索引号：11000002/2021-00012 发文机关：北京市总工会 成文日期：2021年03月12日\n"
        "发文字号：京工发〔2021〕12号\n"
        "各区总工会：\n现将有关事项通知如下：请各单位认真组织实施。",
    )
    assert got == {
        "doc_number": "京工发〔2021〕12号",
        "addressee": "各区总工会",
        "issuer": "北京市总工会",
        "issued_date": "2021-03-12",
    }


def test_cited_numbers_and_form_labels_make_no_official_document():
    text = (
        "根据《关于加强基层工会建设的意见》（总工发〔2020〕5号）精神，我镇工会扎实推进建会工作。\n"
        "报送单位：\n川北市总工会\n二〇二一年三月十二日"
    )
    assert fields("关于基层工会建设情况的汇报", text) == NONE


# ------------------------------------------------------------------ real wording


def test_seeds_are_not_official_documents():
    """The captured reports have a dateline and a signature but no 公文 mark: no fields."""
    raw = seed("bdocx-guangyuan-2011.txt")
    text = raw[raw.index("关于全市工会工作情况的汇报\n") : raw.index("展开阅读全文")]
    assert fields("关于全市工会工作情况的汇报", text) == NONE
    raw = seed("xmgh-siming-2012.txt")
    assert (
        fields(
            "强化组织保障 发挥优势作用 激发工会在思明强区建设中的无限活力(思明区委)",
            raw[raw.index("思明区目前") : raw.index("收藏本页")],
        )
        == NONE
    )
    # cites 《关于…的通知》 by name, and X placeholders
    title, text = normalize_text(seed("district-2021-traditional.txt")).text.split("\n", 1)
    assert fields(title, text) == NONE


def test_speech_salutation_is_not_an_addressee():
    text = (
        "（2019年8月19日）\n德阳市总工会主席 李堃\n同志们：\n这次全委（扩大）会议的主要任务是总"
        "结上半年工作。"
    )
    assert fields("在市总工会十一届四次全委(扩大)会议上的讲话", text) == NONE


# ------------------------------------------------------------------ schema


def test_an_older_archive_gets_the_columns_and_keeps_its_rows(tmp_path):
    path = tmp_path / "archive.db"
    old = {
        k: v
        for k, v in store.DOCUMENT_COLUMNS.items()
        if k not in ("doc_number", "addressee", "issuer", "issued_date")
    }
    conn = sqlite3.connect(path)
    cols = ", ".join(f"[{k}]" for k in old)
    conn.execute(f"create table documents ({cols}, primary key (id))")
    conn.execute("insert into documents (id, url, title) values ('a', 'http://h/1.html', '旧')")
    conn.commit()
    conn.close()
    db = store.connect(path)
    have = db["documents"].columns_dict
    assert {"doc_number", "addressee", "issuer", "issued_date"} <= set(have)
    assert [r["title"] for r in db.query("select title from documents")] == ["旧"]
    indexed = {tuple(i.columns) for i in db["documents"].indexes}
    assert {("doc_number",), ("issuer",)} <= indexed
    db.conn.close()


# ------------------------------------------------------------------ an archive made before

FIELDS = ("doc_number", "addressee", "issuer", "issued_date")


def _as_before(db_path):
    """archive.db as the release before these columns wrote it."""
    conn = sqlite3.connect(db_path)
    for name in FIELDS:
        conn.execute(f"drop index if exists idx_documents_{name}")
        conn.execute(f"alter table documents drop column {name}")
    conn.commit()
    conn.close()


def test_older_archive_recrawled_then_reindexed(zoo, tmp_path):
    """A crawl writing into an archive made before the columns adds them (documents read
    again unchanged keep them empty); `union-archive reindex` fills them from the WARCs."""
    import subprocess

    from tests.conftest import crawl_cmd
    from tests.sql import rows

    db_path = tmp_path / "archive.db"
    first = subprocess.run(
        crawl_cmd(tmp_path, [zoo.urls["trs"]]), capture_output=True, text=True, timeout=600
    )
    assert first.returncode == 0, first.stderr[-3000:]
    _as_before(db_path)
    again = subprocess.run(
        crawl_cmd(tmp_path, [zoo.urls["trs"]]), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    [gold] = [d for d in zoo.truth["documents"] if d["doc_number"]]
    query = f"select {', '.join(FIELDS)} from documents where url = ?"
    assert rows(db_path, query, [gold["url"]]) == [dict.fromkeys(FIELDS)]
    proc = run_cli("reindex", "--data", str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert rows(db_path, query, [gold["url"]]) == [
        {
            "doc_number": "川北工发〔2021〕12号",
            "addressee": "各县（区）总工会，市级各产业工会，市直各基层工会",
            "issuer": "川北市总工会",
            "issued_date": "2021-03-12",
        }
    ]
