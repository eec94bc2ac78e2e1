"""Report and distractor texts shipped in zoo/data, and deterministic variants of them.

A text file is a small header (``key: value`` lines, then ``---``) followed by one
paragraph per line.  Everything here is pure and deterministic.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import opencc

DATA = Path(__file__).parent / "data"

_T2S = opencc.OpenCC("t2s")
_S2T = opencc.OpenCC("s2tw")


def t2s(text: str) -> str:
    return _T2S.convert(text)


def s2t(text: str) -> str:
    return _S2T.convert(text)


# what an official document (公文) states, kept in Text.extra and in the truth
OFFICIAL_FIELDS = ("doc_number", "addressee", "issuer", "issued_date")


@dataclass
class Text:
    """One report or distractor: metadata plus paragraphs (as they appear on a page)."""

    id: str
    title: str
    paras: list[str]
    org: str | None = None
    region: str | None = None
    report_date: str | None = None
    year: int | None = None
    doc_type: str = "other"
    is_report: bool = False
    script: str = "Hans"
    dup_group: str = ""
    variant_of: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.paras)

    def simplified(self) -> Text:
        """Same text in Simplified script (gold text is always Simplified)."""
        if self.script == "Hans":
            return self
        return replace(
            self,
            title=t2s(self.title),
            paras=[t2s(p) for p in self.paras],
            org=t2s(self.org) if self.org else self.org,
            region=t2s(self.region) if self.region else self.region,
            script="Hans",
        )

    def traditional(self) -> Text:
        if self.script == "Hant":
            return self
        return replace(
            self,
            title=s2t(self.title),
            paras=[s2t(p) for p in self.paras],
            org=s2t(self.org) if self.org else self.org,
            region=s2t(self.region) if self.region else self.region,
            script="Hant",
        )


def _parse(path: Path) -> Text:
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    meta = {}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        meta[key.strip()] = value.strip() or None
    paras = [p.strip() for p in body.splitlines() if p.strip()]
    return Text(
        id=meta["id"],
        title=meta["title"],
        paras=paras,
        org=meta.get("org"),
        region=meta.get("region"),
        report_date=meta.get("report_date"),
        year=int(meta["year"]) if meta.get("year") else None,
        doc_type=meta.get("doc_type") or "other",
        is_report=meta.get("is_report") == "true",
        script=meta.get("script") or "Hans",
        dup_group=meta["id"],
        extra={k: meta[k] for k in OFFICIAL_FIELDS if meta.get(k)},
    )


@cache
def _load_all(folder: str = "") -> dict[str, Text]:
    return {t.id: t for t in map(_parse, sorted((DATA / folder).glob("*.txt")))}


def load(text_id: str, folder: str = "") -> Text:
    """A fresh copy of a shipped text (``folder``: a subfolder of zoo/data)."""
    return copy.deepcopy(_load_all(folder)[text_id])


def all_ids(folder: str = "") -> list[str]:
    return list(_load_all(folder))


# ---------------------------------------------------------------- variants
def _sub_all(s: str | None, mapping: dict[str, str]) -> str | None:
    if s is None:
        return s
    for old, new in mapping.items():
        s = s.replace(old, new)
    return s


def _shift_years(s: str | None, shift: int) -> str | None:
    if s is None or not shift:
        return s
    return re.sub(r"(?<!\d)(20[0-3]\d)(?=年|—|-|\b)", lambda m: str(int(m.group(1)) + shift), s)


def relocate(t: Text, new_id: str, mapping: dict[str, str], year_shift: int = 0) -> Text:
    """The same template reused by another organisation / year: a different report."""
    out = copy.deepcopy(t)
    out.id = out.dup_group = new_id
    out.variant_of = t.id
    out.title = _shift_years(_sub_all(t.title, mapping), year_shift)
    out.paras = [_shift_years(_sub_all(p, mapping), year_shift) for p in t.paras]
    out.org = _sub_all(t.org, mapping)
    out.region = _sub_all(t.region, mapping)
    if t.year:
        out.year = t.year + year_shift
    if t.report_date:
        out.report_date = f"{int(t.report_date[:4]) + year_shift}{t.report_date[4:]}"
    return out


def near_duplicate(
    t: Text, new_id: str, drop: int | None = None, edits: dict[str, str] | None = None
) -> Text:
    """The same report reposted with small edits (same dup_group)."""
    out = copy.deepcopy(t)
    out.id = new_id
    out.variant_of = t.id
    if drop is not None:
        del out.paras[drop]
    for old, new in (edits or {}).items():
        hit = [i for i, p in enumerate(out.paras) if old in p]
        assert hit, (t.id, old)
        out.paras[hit[0]] = out.paras[hit[0]].replace(old, new, 1)
    return out


def reorder(t: Text, new_id: str, a: slice, b: slice) -> Text:
    """Two sections swapped (a before b in the original); same dup_group."""
    out = copy.deepcopy(t)
    out.id = new_id
    out.variant_of = t.id
    p = t.paras
    assert a.stop <= b.start
    out.paras = p[: a.start] + p[b] + p[a.stop : b.start] + p[a] + p[b.stop :]
    return out


_PERSON_TIMES = re.compile(r"[\d.]+(万?)人次")


def templatize(t: Text, new_id: str, mapping: dict[str, str]) -> Text:
    """What a 范文 site makes of a report: years -> 20xx, names -> XX, counts -> x人次."""
    out = copy.deepcopy(t)
    out.id = out.dup_group = new_id
    out.variant_of = t.id

    def tpl(s: str | None) -> str | None:
        if s is None:
            return s
        s = _sub_all(s, mapping)
        s = re.sub(r"(?<!\d)20[0-3]\d(?=年)", "20xx", s)
        return _PERSON_TIMES.sub(lambda m: f"x{m.group(1)}人次", s)

    out.title = tpl(t.title)
    out.paras = [tpl(p) for p in t.paras]
    out.org = tpl(t.org)
    # a template names no real place: keep only the province, and only if the page says it
    province = re.match(r"^(.+?省)", t.region or "")
    out.region = (
        province.group(1)
        if province and any(province.group(1)[:-1] in p for p in [out.title, *out.paras])
        else None
    )
    out.report_date = None
    out.year = None
    return out
