"""Chinese administrative divisions: find places in a string, name a region.

The table (archive/extract/data/regions.tsv: adcode and name of every province,
prefecture and county) is cpca's adcodes.csv (MIT), shipped with the package and read
once; nothing is downloaded at run time. cpca itself was not used as a dependency: it
needs pandas and pkg_resources for what is a small table, and is slower per call.

Region format (documented in docs/metadata.md): the chain of names from the province
down to the deepest level that is known, concatenated without separators:
"四川省", "四川省广元市", "福建省厦门市思明区", "北京市朝阳区" (municipalities are not
repeated), "海南省琼海市" (county-level cities directly under a province).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Place:
    code: str  # 6-digit adcode
    name: str  # official name, e.g. 广元市
    rank: int  # 0 province, 1 prefecture, 2 county

    @property
    def province(self) -> str:
        return self.code[:2] + "0000"

    @property
    def prefecture(self) -> str | None:
        return self.code[:4] + "00" if self.rank >= 1 else None


# generic names that are ordinary words in running text (城区 = "urban area", 和县 in 市和县两级)
_GENERIC = {"城区", "矿区", "郊区", "东区", "西区", "和县", "新区", "市中区", "城中区"}
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_NATIONALITIES = re.compile(
    r"(蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|"
    r"景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|"
    r"德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺)+族"
)


@dataclass
class _Table:
    places: dict[str, Place]
    full: dict[str, list[Place]]  # official name -> places
    short: dict[str, list[Place]]  # short form (广元, 凉山州, 凉山, 广西) -> places
    prefix2: dict[str, list[str]]  # first two characters -> names (full and short), longest first
    suffix2: dict[str, list[str]] | None = None  # last two characters -> full names, longest first


def _short_forms(p: Place) -> list[str]:
    forms = []
    name = p.name
    if p.rank == 2:
        # counties keep their 县/区/市 suffix (two-character stems are too ambiguous)
        if name.endswith("自治县"):
            stem = _NATIONALITIES.sub("", name[:-3])
            if len(stem) >= 2:
                forms.append(stem + "县")
        return forms
    if name.endswith("自治州"):
        stem = _NATIONALITIES.sub("", name[:-3])
        if len(stem) >= 2:
            forms += [stem + "州", stem]
        return forms
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            stem = name[: -len(suf)]
            if suf.endswith("自治区"):
                stem = _NATIONALITIES.sub("", stem) or stem
            forms.append(stem)
            break
    if name.endswith("地区") and len(name) > 3:
        forms.append(name[:-2])
    if name.endswith("盟") and len(name) > 2:
        forms.append(name[:-1])
    return forms


@functools.lru_cache(maxsize=1)
def table() -> _Table:
    places: dict[str, Place] = {}
    full: dict[str, list[Place]] = {}
    short: dict[str, list[Place]] = {}
    text = (
        resources.files("archive.extract").joinpath("data/regions.tsv").read_text(encoding="utf-8")
    )
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, name = line.split("\t")
        rank = 0 if code.endswith("0000") else 1 if code.endswith("00") else 2
        p = Place(code, name, rank)
        places[code] = p
        if name not in _GENERIC:
            full.setdefault(name, []).append(p)
        for form in _short_forms(p):
            if form not in _GENERIC:
                short.setdefault(form, []).append(p)
    prefix2: dict[str, list[str]] = {}
    for name in set(full) | set(short):
        prefix2.setdefault(name[:2], []).append(name)
    for names in prefix2.values():
        names.sort(key=len, reverse=True)
    suffix2: dict[str, list[str]] = {}
    for name in full:
        suffix2.setdefault(name[-2:], []).append(name)
    for names in suffix2.values():
        names.sort(key=len, reverse=True)
    return _Table(places, full, short, prefix2, suffix2)


# a short form followed by these is a street, a university, an idiom, not the place itself
_NOT_AFTER_SHORT = re.compile(r"大学|学院|路|街|大道|公园|广场|桥|久安|之|精神|人民广场")


_SUFFIX_CHARS = re.compile("[省市区县州盟旗]")


def _find_full(s: str) -> list[tuple[int, list[Place]]]:
    """Full names only, found from their last character (省市区县州盟旗): fast on long text."""
    t = table()
    out: list[tuple[int, list[Place]]] = []
    last_end = 0
    get = t.suffix2.get
    for m in _SUFFIX_CHARS.finditer(s):
        end = m.end()
        names = get(s[end - 2 : end])
        if not names:
            continue
        for name in names:  # longest first
            start = end - len(name)
            if start >= last_end and s.startswith(name, start):
                out.append((start, t.full[name]))
                last_end = end
                break
    return out


def find_places(s: str, short: bool = True) -> list[tuple[int, list[Place]]]:
    """Mentions of places in ``s`` as (position, candidate places), left to right,
    longest match first. ``short`` also matches short forms (广元, 四川, 凉山州)."""
    if not short:
        return _find_full(s)
    t = table()
    out: list[tuple[int, list[Place]]] = []
    i, n = 0, len(s)
    get = t.prefix2.get
    while i < n - 1:
        names = get(s[i : i + 2])
        if names:
            for name in names:
                if s.startswith(name, i):
                    cands = t.full.get(name)
                    if cands is None:
                        if not short or _NOT_AFTER_SHORT.match(s, i + len(name)):
                            continue
                        cands = t.short[name]
                    elif short and name in t.short:
                        cands = cands + t.short[name]
                    out.append((i, cands))
                    i += len(name) - 1
                    break
        i += 1
    return out


def _chain(p: Place) -> list[Place]:
    t = table()
    chain = []
    prov = t.places.get(p.province)
    if prov:
        chain.append(prov)
    if p.rank >= 1:
        pref = t.places.get(p.prefecture)
        if pref and pref is not prov:
            chain.append(pref)
    if p.rank == 2:
        chain.append(p)
    return chain


def region_name(p: Place) -> str:
    """Readable chain, e.g. 福建省厦门市思明区 (municipalities not repeated)."""
    names: list[str] = []
    for q in _chain(p):
        if q.name not in names:
            names.append(q.name)
    return "".join(names)


def _belongs(child: Place, parent: Place) -> bool:
    keep = 2 * (parent.rank + 1)
    return child.code[:keep] == parent.code[:keep] and child.rank >= parent.rank


def resolve(mentions: list[tuple[int, list[Place]]]) -> Place | None:
    """The deepest place consistent with the mentions. An ambiguous name (朝阳区) counts
    only when a province or city mentioned beside it settles it."""
    if not mentions:
        return None
    sure: list[tuple[int, Place]] = []
    unsure: list[tuple[int, list[Place]]] = []
    for pos, cands in mentions:
        uniq = list({q.code: q for q in cands}.values())
        if len(uniq) == 1:
            sure.append((pos, uniq[0]))
        else:
            unsure.append((pos, uniq))
    for pos, cands in unsure:
        fit = [q for q in cands if any(_belongs(q, p) or _belongs(p, q) for _x, p in sure)]
        if len(fit) == 1:
            sure.append((pos, fit[0]))
    if not sure:
        return None
    best: Place | None = None
    best_key: tuple = ()
    for pos, p in sure:
        agree = sum(1 for _x, q in sure if _belongs(p, q) or _belongs(q, p))
        key = (agree, p.rank, -pos)
        if best is None or key > best_key:
            best, best_key = p, key
    return best


def region_of(s: str | None, short: bool = True) -> str | None:
    """Region named by ``s`` (an organisation, a title, a dateline), or None."""
    if not s:
        return None
    p = resolve(find_places(s, short=short))
    return region_name(p) if p else None


def region_of_text(text: str, min_share: float = 0.5, min_count: int = 2) -> str | None:
    """Region a long text is mostly about: the place (full names only) that most
    mentions agree on, when it has at least ``min_count`` mentions and ``min_share`` of them."""
    mentions = find_places(text, short=False)
    if len(mentions) < min_count:
        return None
    t = table()
    support: Counter[str] = Counter()
    for _pos, cands in mentions:
        if len(cands) != 1:
            continue
        for q in _chain(cands[0]):
            support[q.code] += 1
    if not support:
        return None
    total = sum(1 for _p, c in mentions if len(c) == 1)
    best = None
    for code, v in support.items():
        p = t.places[code]
        if v >= min_count and v >= min_share * total:
            if best is None or (p.rank, v) > (best.rank, support[best.code]):
                best = p
    return region_name(best) if best else None
