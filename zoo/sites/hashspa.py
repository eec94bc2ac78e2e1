"""A provincial union portal built as a single-page app with hash routes (``/#/list/2``).

The server knows one page, ``/``: an empty ``<div id="app">`` and ``/static/js/app.js``.
The script reads ``location.hash`` (``#/list/N``, ``#/article/ID``, and the old portal's
hash-bang form ``#!/article/ID``), fetches ``/api/list?page=N`` or ``/api/article/ID`` and
writes the list (``href="#/article/ID"`` links, a ``#/list/N±1`` pager) or the article into
the page, again on every ``hashchange``.  The list's JSON holds ids, not links: the articles
are reachable only through routes, the report only from ``#/list/2``, and one notice only
through a ``#!/article/ID`` link.  Every page also has plain fragments (``#top``, ``#``),
which are no routes.  Article routes call ``/api/stat`` (disallowed by robots.txt) and load
a beacon from another zoo host: a crawler that runs the page must fetch neither.  The
documents' text is in the JSON answers, so their gold URL is ``/api/article/ID``.
"""

from __future__ import annotations

from .. import content as c
from ..site import Page
from .spa import JsonApiSite

SITE = "陇南职工之家"
PER_PAGE = 2

SHELL = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{SITE}</title>
<script src="/static/js/app.js" defer></script></head>
<body><div id="app"></div><noscript>请启用JavaScript</noscript></body></html>
"""

APP_JS = r"""(function () {
  var app = document.getElementById("app");
  function h(tag, text, attrs) {
    var el = document.createElement(tag);
    if (text) el.textContent = text;
    for (var k in (attrs || {})) el.setAttribute(k, attrs[k]);
    return el;
  }
  function get(url) {
    return fetch(url, {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); });
  }
  function link(text, href) {
    var p = h("p");
    p.appendChild(h("a", text, {"href": href}));
    app.appendChild(p);
  }
  function render() {
    var route = location.hash.replace(/^#!?/, ""), m;
    app.innerHTML = "";
    app.appendChild(h("a", "", {"id": "top"}));
    app.appendChild(h("div", "%(site)s", {"class": "logo"}));
    if ((m = route.match(/^\/article\/(\d+)$/))) {
      get("/api/article/" + m[1]).then(function (a) {
        app.appendChild(h("h1", a.title, {"class": "title"}));
        app.appendChild(h("div", "发布时间：" + a.date + "  来源：" + a.source, {"class": "info"}));
        var body = h("div", "", {"class": "content"});
        body.innerHTML = a.content;
        app.appendChild(body);
        link("返回列表", "#/list/1");
        link("返回顶部", "#top");
        document.title = a.title + " - %(site)s";
      });
      fetch("/api/stat?id=" + m[1]).catch(function () {});
      app.appendChild(h("img", "", {"src": "%(beacon)s", "alt": ""}));
    } else {
      var page = (m = route.match(/^\/list\/(\d+)$/)) ? +m[1] : 1;
      get("/api/list?page=" + page).then(function (l) {
        var ul = h("ul", "", {"class": "list"});
        l.items.forEach(function (it) {
          var li = h("li");
          li.appendChild(h("a", it.title, {"href": "#/article/" + it.id}));
          li.appendChild(h("span", it.date));
          ul.appendChild(li);
        });
        app.appendChild(ul);
        if (page > 1) link("上一页", "#/list/" + (page - 1));
        if (page < l.pages) link("下一页", "#/list/" + (page + 1));
        if (page === 1) link("%(legacy_title)s", "#!/article/%(legacy_id)s");
        link("返回顶部", "#top");
        link("分享", "#");
      });
    }
  }
  // a plain fragment (#top) is a place in the page, not a route
  window.addEventListener("hashchange", function () {
    if (!location.hash || /^#!?\//.test(location.hash)) render();
  });
  render();
})();
"""

ARTICLES = [  # (text, id, date), PER_PAGE a list page, newest first
    ("news-laomo", 51, "2024-05-10"),
    ("notice-zhuxue", 50, "2024-04-28"),
    ("beishan-2022", 38, "2023-01-12"),
]
LEGACY = ("notice-wuyi-2021", 12, "2021-03-20")  # linked only as #!/article/12


def _text(text_id: str) -> c.Text:
    if text_id == "beishan-2022":
        return c.relocate(c.load("shequ-2022"), "beishan-2022", {"南山社区": "北山社区"})
    return c.load(text_id)


class HashSpaSite(JsonApiSite):
    name = "hashspa"
    portal = SITE

    def build(self) -> None:
        self.add_robots("Disallow: /api/stat")
        self.forbidden.append("/api/stat")
        beacon = self.urls.get("news", self.base) + "hash-beacon.gif"
        legacy = _text(LEGACY[0])
        script = APP_JS % {
            "site": SITE,
            "beacon": beacon,
            "legacy_title": "往期通知：" + legacy.title,
            "legacy_id": LEGACY[1],
        }
        self.add(
            "/static/js/app.js",
            Page(body=script.encode(), content_type="application/javascript; charset=utf-8"),
        )
        self.add("/", self.html_page(SHELL))
        items = []
        for text_id, num, when in [*ARTICLES, LEGACY]:
            t = _text(text_id)
            self.add_api_article(t, num, when)
            if num != LEGACY[1]:
                items.append({"id": num, "title": t.title, "date": when})
        pages = self.add_api_lists(items, PER_PAGE)
        # the routes a browser reaches from "/", each a page of the app
        self.routes = [f"#/list/{n}" for n in range(1, pages + 1)] + [
            f"#/article/{num}" for _t, num, _d in ARTICLES
        ]
        self.routes.append(f"#!/article/{LEGACY[1]}")
        self.truth_extra = {"list_pages": pages, "routes": self.routes}
