"""Official-document (公文) fields a text states: 发文字号, 主送机关, 发文机关 and 成文日期.

``official_fields(title, lines) -> dict`` with keys doc_number, addressee, issuer and
issued_date; ``lines`` are the normalised text's lines after the repeated title.  A text
is read as a 公文 only when it has one of its marks: a document number line under the
title (``京工发〔2021〕12号``), an addressee line ending in a colon (``各县（区）总工会：``)
or labelled fields (``发文字号：…``); only then are its signature block (issuer and date at
the end, above 抄送/印发 lines) and the issuer opening its title read.  Otherwise every
field is None.  See docs/metadata.md for the rules.
"""

from __future__ import annotations

import re

from archive.extract.dates import find_dates, parse_date
from archive.extract.orgs import ORG_SUFFIX, canonical_org, clean_org, dateline

HEAD_LINES = 4  # lines under the title where the number and addressee stand
TAIL_LINES = 10  # lines at the end searched for the signature block

_OPEN, _CLOSE = "〔［\\[（(【", "〕］\\]）)】"
# 机关代字〔年份〕序号号: the brackets as pages write them (〔〕 is the standard's form)
_NUMBER = (
    rf"(?P<code>[\u4e00-\u9fff]{{1,12}})\s*[{_OPEN}]\s*(?P<year>(?:19|20)\d\d)\s*"
    rf"[{_CLOSE}]\s*第?\s*(?P<serial>\d{{1,5}})\s*号"
)
_NUMBER_LINE = re.compile(rf"^{_NUMBER}(?:\s*签发人[:：]\s*\S{{2,4}})?$")
_NUMBER_IN_TITLE = re.compile(rf"[（(]{_NUMBER}[)）]\s*$")

_LABEL = re.compile(r"(?P<label>发文字号|文号|发文机关|成文日期)\s*[:：]\s*")

_ADDRESSEE_ITEM = re.compile(
    r"^[\u4e00-\u9fffA-Za-z0-9（）()]{1,40}?"
    r"(?:工会|委员会|党委|党组|委|政府|办公厅|办公室|厅|局|部|部门|单位|机关|组织|企业|公司|集团|"
    r"学校|院校|医院|中心|协会|联合会|街道|乡镇|镇|乡|处|室|所|站|院|团体)$"
)
_FORM_LABEL = re.compile(
    r"^(?:工作|所在|联系|申报|推荐|填报|报送|主管|承办|主办|协办)"
)  # 报送单位：
_ADDRESSEE_SPLIT = re.compile(r"[、，,；;\s]+")

_ISSUER_TITLE = re.compile(rf"^(?P<org>[\u4e00-\u9fff（）()、]{{2,60}}?{ORG_SUFFIX})关于")
_DEPARTMENT = re.compile(r"^(?P<org>.+?(?:总工会|工会|党委|委|政府|厅|局))[\u4e00-\u9fff]{2,8}部$")
# the 版记 (copies, printing) and notes after the signature
_AFTER_SIGNATURE = re.compile(
    r"^[（(]?(?:抄送|抄报|主题词|联系人|联系电话|电话|附件|此件)|印发[)）]?$"
)


def doc_number(s: str) -> str | None:
    """``s`` as a document number in its standard form (``京工发〔2021〕12号``) when it is
    one (as written: ``京工发[2021]12号``, ``京工发（2021）第12号``), else None."""
    m = re.fullmatch(_NUMBER, s.strip())
    return _standard(m) if m else None


def _standard(m: re.Match) -> str:
    return f"{m['code']}〔{m['year']}〕{m['serial']}号"


def _addressee(line: str) -> str | None:
    if not line.endswith((":", "：")) or len(line) > 150 or re.search("[。！？]", line):
        return None
    body = line[:-1].strip()
    items = [i for i in _ADDRESSEE_SPLIT.split(body) if i]
    if items and all(_ADDRESSEE_ITEM.match(i) and not _FORM_LABEL.match(i) for i in items):
        return body
    return None


def _issuer(s: str) -> str | None:
    """One issuing organisation or several side by side (joint issue), joined by 、."""
    names = []
    for part in re.split(r"[\s、]+", s.strip()):
        if not part:
            continue
        m = _DEPARTMENT.match(part)
        org = clean_org(part) or (part if m and clean_org(m["org"]) else None)
        if org is None:
            return None
        names.append(canonical_org(org))
    return "、".join(names) or None


def _labelled(lines: list[str]) -> dict:
    found: dict[str, str] = {}
    for line in lines:
        matches = list(_LABEL.finditer(line))
        for k, m in enumerate(matches):
            end = matches[k + 1].start() if k + 1 < len(matches) else len(line)
            value = line[m.end() : end].strip()
            label = m["label"]
            if label in ("发文字号", "文号"):
                value = doc_number(value.split()[0]) if value else None
                label = "doc_number"
            elif label == "发文机关":
                value = _issuer(value.split()[0]) if value else None
                label = "issuer"
            else:
                value = parse_date(value)
                label = "issued_date"
            if value:
                found.setdefault(label, value)
    return found


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(issuer, issued date) from the signature block: the last date line (not a
    printing date), with the organisation on it or on the lines just above it."""
    tail = lines[-TAIL_LINES:]
    i = len(tail) - 1
    while i >= 0 and _AFTER_SIGNATURE.search(tail[i]):
        i -= 1
    if i < 0:
        return None, None
    dl = dateline(tail[i])
    if dl is None:
        return None, None
    date, rest = dl
    issuer = _issuer(_without_date(tail[i])) if rest else None
    names = []
    j = i - 1
    while issuer is None and j >= 0 and len(names) < 3:
        org = _issuer(tail[j]) if len(tail[j]) <= 60 else None
        if org is None:
            break
        names.insert(0, org)
        j -= 1
    return issuer or ("、".join(names) or None), date


def _without_date(line: str) -> str:
    for start, end, _iso in find_dates(line):
        return (line[:start] + " " + line[end:]).strip(" （）()")
    return line


def official_fields(title: str | None, lines: list[str]) -> dict:
    """The 公文 fields of a text (see the module docstring); all None if it is no 公文."""
    title = title or ""
    out = {"doc_number": None, "addressee": None, "issuer": None, "issued_date": None}
    labelled = _labelled(lines[: HEAD_LINES + 2])
    head = lines[:HEAD_LINES]
    for line in head:
        m = _NUMBER_LINE.match(line)
        if m and out["doc_number"] is None:
            out["doc_number"] = _standard(m)
            continue
        addressee = _addressee(line)
        if addressee:
            out["addressee"] = addressee
            break
        if len(line) > 60:
            break  # the body has started
    if out["doc_number"] is None:
        m = _NUMBER_IN_TITLE.search(title)
        if m:
            out["doc_number"] = _standard(m)
    if not (out["doc_number"] or out["addressee"] or labelled):
        return out
    out["issuer"], out["issued_date"] = _signature(lines)
    if out["issuer"] is None:
        m = _ISSUER_TITLE.match(title)
        if m:
            out["issuer"] = _issuer(m["org"])
    for key, value in labelled.items():
        out[key] = out[key] or value
    return out
