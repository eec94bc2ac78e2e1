"""Organisations and datelines as report texts write them: the names that can sign a
report (总工会, 党委, 公司, ...), a dateline (a date alone or beside a name), and the full
form of a party committee written short."""

from __future__ import annotations

import re

from archive.extract.dates import find_dates
from archive.extract.regions import find_places, resolve, table

DATELINE_JUNK = re.compile(r"[\s()（）〔〕\[\]【】<>《》—\-－·、,，:：]")
_INFO_LABEL = re.compile(r"发布|发表|来源|浏览|点击|阅读|作者|上传|责任编辑|责编|字体|时间[:：]")


def dateline(line: str) -> tuple[str, str] | None:
    """(iso date, the rest of the line) when the line is a dateline: a date alone or with
    an organisation name, such as （2011年11月1日） or 广元市总工会 2011年11月1日."""
    if len(line) > 60 or _INFO_LABEL.search(line):
        return None
    dates = list(find_dates(line))
    if len(dates) != 1:
        return None
    start, end, iso = dates[0]
    rest = DATELINE_JUNK.sub("", line[:start] + line[end:])
    if len(rest) > 30 or "。" in line:
        return None
    return iso, rest


ORG_SUFFIX = (
    r"(?:总工会|工会委员会|工会联合会|工会工作委员会|工会|工委|党委|党组|党工委|区委|市委|县委|省委|州委|旗委|"
    r"镇委|乡委|委员会|人民政府|政府|办公室|联合会|协会|集团|有限公司|公司|局|厅|委|中心|学院|大学|医院|"
    r"研究所|研究院|街道|法院|检察院|银行|分行|支行|矿|厂|站|所|处)"
)
ORG_LINE = re.compile(rf"^(?P<org>[\u4e00-\u9fffA-Za-z0-9（）()×]{{2,28}}?{ORG_SUFFIX})$")
ORG_PREFIX = re.compile(
    r"^(?P<org>[\u4e00-\u9fffXx×]{2,20}?(?:总工会|工会委员会|工会联合会|工会|党委|党组|区委|市委|县委|省委))"
    r"(?=关于|(?:19|20)(?:\d\d|[xX×]{2}|\d[xX×]|__)|二〇|[一二]〇|在|的|第|年度|工作|上半年|下半年|[一二三四]季度)"
)
# the subject of the first sentence: "近年来，城厢街道总工会按照…"
ORG_SUBJECT = re.compile(
    r"^(?:[^，。]{0,12}，)?(?P<org>[\u4e00-\u9fffXx×]{2,20}?(?:总工会|工会委员会|工会联合会|工会))"
    r"(?=在|按照|坚持|以|围绕|认真|紧紧|始终|充分|积极|立足|牢牢)"
)
_GENERIC_ORG = re.compile(
    rf"^(?:全|本|我|各|各级|上级|基层|机关|企业|单位|区|市|县|省|州|镇|乡|全区|全市|全县|全省|街道|社区|村|"
    rf"公司|学校|医院|工厂|车间|产业|行业|区域|"
    rf"[区市县省镇乡]总)?{ORG_SUFFIX}$"
)
_BAD_START = re.compile(r"^(?:在|关于|对于?|为|全[区市县省镇乡]|本|我|各|今年|近年)")
_NOT_ORG_WORDS = re.compile(
    r"工作|汇报|总结|报告|情况|计划|讲话|材料|要点|发言|通知|意见|方案|活动|建设|经验|篇"
)


def clean_org(s: str) -> str | None:
    s = s.strip(" 　:：,，、")
    if not s or len(s) < 3 or len(s) > 30:
        return None
    if _GENERIC_ORG.match(s) or _NOT_ORG_WORDS.search(s) or _BAD_START.match(s):
        return None
    if not ORG_LINE.match(s):
        return None
    return s


_PARTY = re.compile(r"^(?!中共)(?P<place>.{2,12}?[省市区县州旗])委$")


def canonical_org(org: str | None) -> str | None:
    """Party committees written short (思明区委, 广元市委) get their usual full form:
    中共 + the city (for a county) + the place: 中共厦门市思明区委, 中共广元市委."""
    if not org:
        return org
    m = _PARTY.match(org)
    if not m:
        return org
    name = m["place"]
    place = resolve(find_places(name, short=False))
    if place is None:
        return org
    if place.rank == 2:
        city = table().places.get(place.prefecture)
        if city is not None and city.name not in name:
            name = city.name + name
    return "中共" + name + "委"
