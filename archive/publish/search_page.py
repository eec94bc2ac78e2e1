"""The documents table's search path in Datasette, bounded for terms in every document.

Common terms (工会, 职工, 会) match nearly every report, so a search page that counts,
sorts and facets all of its matches costs what the whole archive does.  This module takes
over ``?_search=`` on ``archive/documents`` (the stock search box, its ``.json`` twin):

* ``prepare(datasette, scope)`` (called by the plugin's ASGI wrapper) reads the newest
  ``LIMITS["search_exact_matches"] + 1`` matches in index order (rowid descending: FTS5
  stops there).  At most that many: those are all the matches, kept in the scope, and
  Datasette's count, rows and facets are exact over them (``rowid in`` the list): the
  phrase match runs once a request, not once for each of them.  More: the search is
  *large*; ``_nocount=1`` is added to the request (the count shows as "10,000+"), and the
  matches read are kept in the scope for the filter below.
* The ranked search (the canned query ``search``) of a term in more than
  ``search_exact_matches`` documents ranks only the newest that many matches (rowid order:
  FTS5 stops there; ``:_ranked_from``, ``ranked_parameter``): those with every term in the
  title first, then the others, each newest first.  bm25 cannot be bounded so: it counts
  every match of each term for its weights, whatever rows it scores.
* ``filters_from_request`` replaces Datasette's stock search filter for that table.  For a
  large search in the table's newest-first order (``published_date`` descending, the
  default) it finds the exact rows of the page: it walks the ``published_date`` index (or,
  with a filter ``?site=``, ``?year=``, ``?doc_type=`` or ``?region=``, that column's index in
  the same order) from the page's ``_next`` position, with the request's column filters,
  and checks each row against the index until it has a page (a common term needs about as
  many checks as rows shown).  The search's rows are then those rows plus the matches read:
  Datasette sorts, pages and links them as usual, and its facets count the first
  ``LIMITS["search_facet_sample"]`` matches read (the most recently archived), which the
  page says.  Another order over a large search keeps
  the stock clause (exact, bounded by the SQL time limit).
* A table page without a search, in its own order with at most column filters, is read
  the same way (its newest ``search_exact_matches + 1`` rows; equality filters that an
  index answers alone intersected on their indexes, ``_filtered_rowids``): more rows are a
  large page as above; at most that many are kept, and its count and facets are exact over
  them, as a small search's are.
"""

from __future__ import annotations

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

from archive.publish.serve import LIMITS
from archive.store.schema import NEWEST_BY
from archive.store.search import FTS_TABLE, rewrite_query

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
STOCK_CLAUSE = (
    f"rowid in (select rowid from {FTS_TABLE} where {FTS_TABLE} match escape_fts(:search))"
)


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
RANKED_KEY = "union_archive.ranked_from"


def ranked_parameter(key: str, request: Request) -> int:
    """``:_ranked_from`` of the ranked search: 0 (every match, ranked by bm25) or the
    lowest rowid of the newest ``search_exact_matches`` matches of a larger search."""
    if key != "from":
        raise KeyError(key)
    return request.scope.get(RANKED_KEY, 0)


async def _prepare_ranked(db, scope: dict, q: str) -> dict:
    """The ranked search of more matches than are counted ranks a window of the most
    recently archived ones: bm25 would score (and count, for its weights) every match."""
    cap = LIMITS["search_exact_matches"]
    rows = (
        await db.execute(
            f"select rowid from {FTS_TABLE} where {FTS_TABLE} match :m order by rowid desc "
            f"limit {cap + 1}",
            {"m": rewrite_query(q)},
        )
    ).rows
    if len(rows) <= cap:
        return scope
    return {**scope, RANKED_KEY: rows[cap - 1][0]}


async def prepare(datasette: Datasette, scope: dict) -> dict:
    """The scope Datasette gets: for a large search or a large table page (no search, at
    most column filters) of the documents table, with ``_nocount=1`` and the newest
    matches read (see the module docstring)."""
    pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    query = dict(pairs)
    path = scope.get("path", "")
    search = _is_table_search(path, query)
    ranked = path.removesuffix(".json") == f"/{ARCHIVE_DB}/{RANKED_QUERY}" and bool(
        query.get("q", "").strip()
    )
    if not search and not ranked and not _is_plain_table_page(path, query):
        return scope
    try:
        db = datasette.get_database(ARCHIVE_DB)
    except KeyError:
        return scope
    if ranked:
        return await _prepare_ranked(db, scope, query["q"])
    cap = LIMITS["search_exact_matches"]
    if search:
        match = rewrite_query(query["_search"])
        sql, params = (
            (
                f"select rowid from {FTS_TABLE} where {FTS_TABLE} match :m "
                f"order by rowid desc limit {cap + 1}"
            ),
            {"m": match},
        )
    else:
        match = None
        where, params = Filters(_filter_args(pairs)).build_where_clauses(TABLE)
    try:
        if not search:
            sql = await _filtered_rowids(db, where, params, cap + 1)
        rows = (await db.execute(sql, params)).rows
    except Exception:  # a filter Datasette will refuse (a bad column): its own answer
        return scope
    if len(rows) <= cap:
        # every matching row was read: the count, rows and facets take them, rather than
        # each finding them again
        exact = [r[0] for r in rows]
        if search:
            return {**scope, SCOPE_KEY: {"q": query["_search"], "exact": exact}}
        return {**scope, SCOPE_KEY: {"filters": _filter_args(pairs), "exact": exact}}
    scope = dict(scope)
    scope[SCOPE_KEY] = {"match": match, "read": [r[0] for r in rows[:cap]]}
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


async def page_rows(db: Database, request: Request, match: str | None, size: int) -> list[int]:
    """Rowids of the next ``size`` matching rows newest first, with the column filters,
    found by walking the published_date index and checking each candidate's entry
    (``match`` None: every row the column filters keep)."""
    where, params = _column_filters(request, TABLE)
    after = _after_next(request, params)
    if after:
        where.append(after)
    conditions = " and ".join(f"({w})" for w in where) or "1"
    checked = "1"
    if match is not None:
        params["m"] = match
        checked = (
            f"exists (select 1 from {FTS_TABLE} f where f.rowid = d.rowid and {FTS_TABLE} match :m)"
        )
    index = next(
        (f"idx_documents_{col}_newest" for col in NEWEST_BY if request.args.get(col) is not None),
        "idx_documents_published_date",
    )
    sql = (
        f"select d.rowid from (select rowid, published_date, id from {TABLE} "
        f"indexed by {index} where {conditions} "
        f"order by published_date desc, id) as d where {checked} limit {int(size)}"
    )
    return [r[0] for r in (await db.execute(sql, params)).rows]


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
    if not request.args.get("_search", "").strip():
        found = request.scope.get(SCOPE_KEY)
        if found is not None and found.get("filters") == _request_filters(request):
            return _exact_page(found["exact"])
        large = found is not None and "exact" not in found and found["match"] is None
        if not large or not newest_first(request.args):
            return stock.search_filters(request, database, table, datasette)
        return _large_page(request, datasette, found)

    async def inner():
        q = request.args["_search"]
        context = {"supports_search": True, "search": q}
        found = request.scope.get(SCOPE_KEY)
        if found is not None and "exact" in found and found["q"] == q:
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
        shown = await page_rows(db, request, found["match"], _page_size(datasette, request) + 1)
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
