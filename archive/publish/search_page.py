"""The documents table's search path in Datasette, bounded for terms in every document.

Common terms (工会, 职工, 会) match nearly every report, so a search page that counts,
sorts and facets all of its matches costs what the whole archive does.  This module takes
over ``?_search=`` on ``archive/documents`` (the stock search box, its ``.json`` twin):

* ``prepare(datasette, scope)`` (called by the plugin's ASGI wrapper) reads the newest
  ``LIMITS["search_exact_matches"] + 1`` matches from the search index (rowid descending,
  on windows of rowids: it stops there).  At most that many: those are all the matches,
  kept in the scope, and Datasette's count, rows and facets are exact over them (``rowid
  in`` the list): the search runs once a request, not once for each of them.  More: the
  search is *large*; ``_nocount=1`` is added to the request (the count shows as "10,000+"),
  and the matches read are kept in the scope for the filter below.
* The ranked search (the canned query ``search``) is ranked here, by the index's bm25, and
  handed to the query as JSON (``:_ranked_rows``, ``ranked_parameter``): every match, or
  for a large search only the newest ``search_exact_matches`` (scoring every match of a
  common term costs what the whole archive does).
* ``filters_from_request`` replaces Datasette's stock search filter for that table.  For a
  large search in the table's newest-first order (``published_date`` descending, the
  default) it finds the exact rows of the page, by how dense the matches read are: a dense
  search walks the ``published_date`` index (or, with a filter ``?site=``, ``?year=``,
  ``?doc_type=`` or ``?region=``, that column's index in the same order) from the page's
  ``_next`` position, with the request's column filters, checking each row's normalised
  title and text (what a match in the index means) until it has a page; a sparser one takes
  the index's matches of the latest publication days and lets SQLite put them in the
  table's order with the filters (``_day_walk``).  The search's rows are then those rows
  plus the matches read: Datasette sorts, pages and links them as usual, and its facets
  count the first ``LIMITS["search_facet_sample"]`` matches read (the most recently
  archived), which the page says.  Another order over a large search keeps every match
  (``search_rowids``: exact, bounded by the SQL time limit).  ``_search_title`` and
  ``_search_text`` search one column.
* A table page without a search, in its own order with at most column filters, is read
  the same way (its newest ``search_exact_matches + 1`` rows; equality filters that an
  index answers alone intersected on their indexes, ``_filtered_rowids``): more rows are a
  large page as above; at most that many are kept, and its count and facets are exact over
  them, as a small search's are.
"""

from __future__ import annotations

import asyncio
import json
import re
from types import ModuleType
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

import datasette.filters as stock
from datasette import hookimpl
from datasette.filters import FilterArguments, Filters
from datasette.plugins import pm
from datasette.utils import urlsafe_components
from datasette.utils.asgi import BadRequest

from archive.publish.serve import LIMITS
from archive.store import search, search_index
from archive.store.schema import NEWEST_BY

if TYPE_CHECKING:
    from collections.abc import Callable

    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.utils import MultiParams
    from datasette.utils.asgi import Request

ARCHIVE_DB = "archive"
TABLE = "documents"
SORT_COLUMN = "published_date"
SCOPE_KEY = "union_archive.search"
# every match, exact (another order over a large search: bounded by the SQL time limit)
STOCK_CLAUSE = "rowid in (select value from json_each(search_rowids(:search)))"
SEARCH_COLUMNS = ("title", "text")  # ?_search_title=, ?_search_text=
RANKED_ROWS = 500  # rows of the ranked search
# a large search's page checks at most about this many rows' text, walking the date index;
# a sparser phrase is ordered by the index's publication days instead
TEXT_WALK_ROWS = 500


def _is_table_search(path: str, query: dict) -> bool:
    return path.removesuffix(".json") == f"/{ARCHIVE_DB}/{TABLE}" and bool(
        query.get("_search", "").strip()
    )


def newest_first(args: dict | MultiParams) -> bool:
    """True when the page is in the table's own order (newest published first)."""
    sort, sort_desc = args.get("_sort"), args.get("_sort_desc")
    return not sort and sort_desc in (None, "", SORT_COLUMN)


def _filter_args(pairs) -> list[tuple[str, str]]:
    """The column filters among query arguments, as Datasette reads them (``?site=…``,
    ``?year__gt=…``; arguments starting with ``_`` are its own, unless they name an
    operation)."""
    return sorted((k, v) for k, v in pairs if not (k.startswith("_") and "__" not in k))


def _is_plain_table_page(path: str, query: dict) -> bool:
    """The documents table (HTML or JSON) without a search, in its own order, with at most
    column filters (a ``_where``, a ``_through`` or another order keeps the stock path)."""
    if path.removesuffix(".json") != f"/{ARCHIVE_DB}/{TABLE}" or not newest_first(query):
        return False
    return not any(k.startswith(("_search", "_where", "_through", "_filter_")) for k in query)


RANKED_QUERY = "search"
RANKED_KEY = "union_archive.ranked_rows"


def ranked_parameter(key: str, request: Request) -> str:
    """``:_ranked_rows`` of the ranked search: its rows as JSON, ``[[rowid, rank,
    ranked_by], ...]`` best first (``prepare`` ranks them)."""
    if key != "rows":
        raise KeyError(key)
    return request.scope.get(RANKED_KEY, "[]")


def _index(db: Database):
    """The archive's search index, reloaded to its last commit (None: not built)."""
    return search_index.reader(search_index.index_path(db.path))


async def _top(db: Database) -> int:
    return (await db.execute(f"select max(rowid) from {TABLE}")).rows[0][0] or 0


def newest_matches(db: Database, q: str, limit: int, top: int) -> list[int]:
    """Rowids of at most ``limit`` matches of ``q``, most recently archived first."""
    index = _index(db)
    query = search.match_query(index, q)
    return [] if query is None else search_index.newest(index, query, limit, top)


def _ranked_rows(db: Database, q: str, top: int) -> list[list]:
    """The ranked search's rows: bm25 over every match, or over the newest
    ``search_exact_matches`` of a search with more (bm25's cost grows with the matches)."""
    index = _index(db)
    query = search.match_query(index, q)
    if query is None:
        return []
    cap = LIMITS["search_exact_matches"]
    newest = search_index.newest(index, query, cap + 1, top)
    lowest, label = 0, "bm25"
    if len(newest) > cap:
        lowest, label = newest[cap - 1], f"bm25 of the newest {cap:,}"
    return [
        [rowid, round(score, 3), label]
        for rowid, score in search_index.ranked(index, query, RANKED_ROWS, lowest)
    ]


async def prepare(datasette: Datasette, scope: dict) -> dict:
    """The scope Datasette gets: for a large search or a large table page (no search, at
    most column filters) of the documents table, with ``_nocount=1`` and the newest
    matches read (see the module docstring)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    query = dict(pairs)
    path = scope.get("path", "")
    is_search = _is_table_search(path, query)
    ranked = path.removesuffix(".json") == f"/{ARCHIVE_DB}/{RANKED_QUERY}" and bool(
        query.get("q", "").strip()
    )
    if not is_search and not ranked and not _is_plain_table_page(path, query):
        return scope
    try:
        db = datasette.get_database(ARCHIVE_DB)
    except KeyError:
        return scope
    cap = LIMITS["search_exact_matches"]
    if ranked:
        rows = await asyncio.to_thread(_ranked_rows, db, query["q"], await _top(db))
        return {**scope, RANKED_KEY: json.dumps(rows)}
    if is_search:
        q = query["_search"]
        rows = await asyncio.to_thread(newest_matches, db, q, cap + 1, await _top(db))
    else:
        q = None
        where, params = Filters(_filter_args(pairs)).build_where_clauses(TABLE)
        try:
            sql = await _filtered_rowids(db, where, params, cap + 1)
            rows = [r[0] for r in (await db.execute(sql, params)).rows]
        except Exception:  # a filter Datasette will refuse (a bad column): its own answer
            return scope
    if len(rows) <= cap:
        # every matching row was read: the count, rows and facets take them, rather than
        # each finding them again
        if is_search:
            return {**scope, SCOPE_KEY: {"q": q, "exact": rows}}
        return {**scope, SCOPE_KEY: {"filters": _filter_args(pairs), "exact": rows}}
    scope = dict(scope)
    scope[SCOPE_KEY] = {"match": q, "read": rows[:cap]}
    if "_nocount" not in query:
        pairs.append(("_nocount", "1"))
        scope["query_string"] = urlencode(pairs).encode("latin-1")
    return scope


def _request_filters(request) -> list[tuple[str, str]]:
    return _filter_args((k, v) for k in request.args for v in request.args.getlist(k))


# a filter an index answers alone, its rowids in order: what an intersection merges
EQUAL_ON_INDEX = re.compile(rf"SEARCH {TABLE} USING COVERING INDEX \w+ \(\w+=\?\)$")


async def _filtered_rowids(db, where: list[str], params: dict, limit: int) -> str:
    """SQL of the newest ``limit`` rowids the column filters keep.  Equality filters that an
    index answers alone (``site=…``, ``year=…``) are intersected on their indexes in rowid order,
    rather than checked in the rows the first of them finds (the columns are stored after
    the text)."""

    def alone(conn) -> list[bool]:
        plans = [
            [r[-1] for r in conn.execute(f"explain query plan {_rowids(w)}", params)] for w in where
        ]
        return [len(plan) == 1 and EQUAL_ON_INDEX.match(plan[0]) is not None for plan in plans]

    covered = await db.execute_fn(alone)
    arms = [_rowids(w) for w, ok in zip(where, covered) if ok]
    rest = " and ".join(f"({w})" for w, ok in zip(where, covered) if not ok)
    if len(arms) < 2:
        conditions = " and ".join(f"({w})" for w in where) or "1"
        return f"select rowid from {TABLE} where {conditions} order by rowid desc limit {limit}"
    both = " intersect ".join(arms)
    if not rest:
        return f"{both} order by 1 desc limit {limit}"
    return (
        f"select rowid from {TABLE} where {rest} and rowid in ({both}) "
        f"order by rowid desc limit {limit}"
    )


def _rowids(condition: str) -> str:
    return f"select rowid from {TABLE} where {condition}"


def _column_filters(request, table: str) -> tuple[list[str], dict]:
    """The request's column filters as Datasette builds them (``?site=…``, ``?year__gt=…``)."""
    return Filters(_request_filters(request)).build_where_clauses(table)


def _after_next(request, params: dict) -> str | None:
    """Datasette's clause for the rows after ``_next`` in published_date desc, id order."""
    token = request.args.get("_next")
    if not token:
        return None
    parts = urlsafe_components(token)
    if len(parts) != 2:
        return None
    params.update(next_date=parts[0], next_id=parts[1])
    if token.split(",")[0] == "$null":
        return "(published_date is null and id > :next_id)"
    return (
        "(published_date < :next_date or published_date is null "
        "or (published_date = :next_date and id > :next_id))"
    )


async def page_rows(db: Database, request: Request, found: dict | None, size: int) -> list[int]:
    """Rowids of the next ``size`` matching rows newest first, with the column filters
    (``found``: a large search's match and its newest matches read; None: every row the
    column filters keep, found by walking the published_date index or that column's)."""
    where, params = _column_filters(request, TABLE)
    after = _after_next(request, params)
    if after:
        where.append(after)
    conditions = " and ".join(f"({w})" for w in where) or "1"
    index = next(
        (f"idx_documents_{col}_newest" for col in NEWEST_BY if request.args.get(col) is not None),
        "idx_documents_published_date",
    )
    walk = f"from {TABLE} indexed by {index} where {conditions} order by published_date desc, id"
    if found is None:
        return [
            r[0] for r in (await db.execute(f"select rowid {walk} limit {int(size)}", params)).rows
        ]
    read, terms = found["read"], search.query_terms(found["match"])
    density = len(read) / (max(read) - min(read) + 1)
    if size <= density * TEXT_WALK_ROWS:

        def text_walk(conn) -> list[int] | None:
            """The walk, each row kept when every term is in its normalised title or text
            (what a match in the index means); None when it checked too many rows."""
            out: list[int] = []
            norm = search.normalize_document_text
            for n, (rowid, title, text) in enumerate(
                conn.execute(f"select rowid, title, text {walk}", params)
            ):
                if n >= 2 * TEXT_WALK_ROWS:
                    return None
                title, text = norm(title), norm(text)
                if all(t in title or t in text for t in terms):
                    out.append(rowid)
                    if len(out) >= size:
                        break
            return out

        rows = await db.execute_fn(text_walk)
        if rows is not None:
            return rows
    before = None
    if after:  # the page after a row: its day or earlier (no date: day 0)
        date = params["next_date"]
        before = 0 if date == "$null" else search_index.day(date) or None
    return await db.execute_fn(
        lambda conn: _day_walk(db, conn, found["match"], conditions, params, before, size)
    )


def _day_walk(
    db, conn, q: str, conditions: str, params: dict, before: int | None, size: int
) -> list[int]:
    """A large search's next rows by the index's publication days: the matches of the
    latest days (the whole of the last day read; ``before``: on that day or earlier), put in
    the table's order by SQLite with the column filters, read further back until they make
    a page."""
    index = _index(db)
    query = search.match_query(index, q)
    want = max(4 * size, 200)
    while True:
        hits = search_index.by_day(index, query, want, before)
        rowids = {rowid for rowid, _ in hits}
        whole = len(hits) < want
        if not whole:  # every match of the last day read, not only those that fit
            last = min(d for _, d in hits)
            rowids.update(search_index.on_days(index, query, last, last))
        rows = [
            r[0]
            for r in conn.execute(
                f"select rowid from {TABLE} where rowid in "
                f"(select value from json_each(:candidates)) and {conditions} "
                f"order by published_date desc, id limit {int(size)}",
                {**params, "candidates": json.dumps(sorted(rowids))},
            )
        ]
        if len(rows) >= size or whole:
            return rows
        want *= 4


def _page_size(datasette, request) -> int:
    size = request.args.get("_size") or datasette.table_metadata(ARCHIVE_DB, TABLE).get("size")
    if size == "max":
        return datasette.max_returned_rows
    try:
        return max(0, min(int(size or datasette.page_size), datasette.max_returned_rows))
    except ValueError:
        return datasette.page_size


def search_filters(request: Request, database: str, table: str, datasette: Datasette) -> Callable:
    """Datasette's ``filters_from_request`` for searches, with the documents table's own."""
    if database != ARCHIVE_DB or table != TABLE:
        return stock.search_filters(request, database, table, datasette)
    columns = _column_searches(request)
    if not request.args.get("_search", "").strip():
        found = request.scope.get(SCOPE_KEY)
        if found is not None and found.get("filters") == _request_filters(request):
            inner = _exact_page(found["exact"])
        elif (
            found is not None
            and "exact" not in found
            and found["match"] is None
            and newest_first(request.args)
        ):
            inner = _large_page(request, datasette, found)
        else:
            inner = _no_search()
        return _with_columns(inner, columns)

    async def inner():
        q = request.args["_search"]
        context = {"supports_search": True, "search": q}
        found = request.scope.get(SCOPE_KEY)
        if found is not None and "exact" in found and found.get("q") == q:
            return FilterArguments(
                ["rowid in (select value from json_each(:search_rows))"],
                {"search_rows": json.dumps(found["exact"])},
                [f'search matches "{q}"'],
                context,
            )
        if found is None or "exact" in found or not newest_first(request.args):
            return FilterArguments(
                [STOCK_CLAUSE], {"search": q}, [f'search matches "{q}"'], context
            )
        db = datasette.get_database(ARCHIVE_DB)
        shown = await page_rows(db, request, found, _page_size(datasette, request) + 1)
        cap, sample = LIMITS["search_exact_matches"], LIMITS["search_facet_sample"]
        rowids = sorted(set(found["read"][:sample]) | set(shown))
        context["search_matches_more_than"] = cap
        return FilterArguments(
            ["rowid in (select value from json_each(:search_rows))"],
            {"search_rows": json.dumps(rowids)},
            [
                (
                    f'search matches "{q}": more than {cap:,} documents, newest first; facets '
                    f"count the {sample:,} most recently archived of them"
                )
            ],
            context,
        )

    return _with_columns(inner, columns)


def _column_searches(request) -> list[tuple[str, str]]:
    """``?_search_title=`` and ``?_search_text=``: a search in one column."""
    out = []
    for key in request.args:
        if key.startswith("_search_") and request.args[key].strip():
            column = key.removeprefix("_search_")
            if column not in SEARCH_COLUMNS:
                raise BadRequest("Cannot search by that column")
            out.append((column, request.args[key]))
    return out


def _with_columns(inner, columns: list[tuple[str, str]]):
    """The filter with the column searches added (every match, exact), and the search box."""

    async def outer():
        found = await inner()
        where, params = list(found.where_clauses), dict(found.params)
        described = list(found.human_descriptions)
        for i, (column, q) in enumerate(columns):
            where.append(
                f"rowid in (select value from json_each(search_rowids(:search_{i}, '{column}')))"
            )
            params[f"search_{i}"] = q
            described.append(f'search column "{column}" matches "{q}"')
        return FilterArguments(
            where, params, described, {**found.extra_context, "supports_search": True}
        )

    return outer


def _no_search():
    async def inner():
        return FilterArguments([], {}, [], {})

    return inner


def _exact_page(rowids: list[int]):
    """The filter of a table page without a search whose rows were all read: those rows
    (Datasette's own column filters stay, and describe the page)."""

    async def inner():
        return FilterArguments(
            ["rowid in (select value from json_each(:page_rows))"],
            {"page_rows": json.dumps(rowids)},
            [],
            {},
        )

    return inner


def _large_page(request, datasette, found):
    """The filter of a table page without a search whose filters keep more rows than are
    counted: the page's rows plus the most recently archived rows read, for the facets."""

    async def inner():
        db = datasette.get_database(ARCHIVE_DB)
        shown = await page_rows(db, request, None, _page_size(datasette, request) + 1)
        cap, sample = LIMITS["search_exact_matches"], LIMITS["search_facet_sample"]
        rowids = sorted(set(found["read"][:sample]) | set(shown))
        return FilterArguments(
            ["rowid in (select value from json_each(:page_rows))"],
            {"page_rows": json.dumps(rowids)},
            [
                (
                    f"more than {cap:,} documents, newest first; facets count the {sample:,} "
                    f"most recently archived of them"
                )
            ],
            {"table_rows_more_than": cap},
        )

    return inner


def install() -> None:
    """Register Datasette's default filters with this module's search filter in place of
    the stock one (the stock one still answers every other table)."""
    if pm.get_plugin("datasette.filters") is stock:
        pm.unregister(stock, "datasette.filters")
        filters = ModuleType("datasette.filters")  # pluggy keys plugins by their hash
        filters.where_filters, filters.through_filters = stock.where_filters, stock.through_filters
        filters.search_filters = hookimpl(specname="filters_from_request")(search_filters)
        pm.register(filters, "datasette.filters")
