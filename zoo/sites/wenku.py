"""Document-sharing (文库) site: upload header, page captions interleaved with the text,
preview-limit message, 下载资源/资源描述, 由会员分享 caption, related lists, tag listings
?page=N."""

from __future__ import annotations

from .. import content as c
from ..site import Page, Site, esc

SITE = "冰豆文库"


def _chrome(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{esc(title)}</title>
<meta name="description" content="{esc(title)}">
</head>
<body>
<div class="header"><a href="/">{SITE}</a> <form action="/search" method="get"><input name="q">\
<button>搜索文档</button></form> <a href="/login">登录</a> <a href="/reg">注册</a> \
<a href="/upload">上传文档</a></div>
{body}
<div class="footer"><p><a href="/">关于我们</a> - <a href="/">网站声明</a> - <a href="/">网站地图\
</a> - <a href="/">资源地图</a> - <a href="/">友情链接</a> - <a href="/">网站客服</a> - \
<a href="/">联系我们</a></p>
<p>copyright@ 2008-2024 {SITE}网站版权所有</p><p>经营许可证编号：鄂ICP备2022015515号-1</p></div>
</body>
</html>
"""


DOCS = [
    # (text, doc number, uploader, upload date, format, size, total pages, preview pages, tag)
    ("guangyuan-2011", 7125872, "b****6", "2023-01-20", "DOCX", "21.70KB", 5, 5, "gonghui"),
    ("nanchong-2012", 7311408, "s****3", "2023-03-02", "DOCX", "22.15KB", 5, 3, "gonghui"),
    ("plan-2024", 15296480, "b****7", "2024-02-03", "DOCX", "18.02KB", 2, 2, "jihua"),
    ("siming-reordered", 9023317, "x****1", "2023-07-03", "DOC", "45.50KB", 4, 4, "gonghui"),
    ("wenku-tiku", 10442871, "m****9", "2023-11-15", "DOCX", "16.33KB", 2, 2, "gonghui"),
]


def _text(text_id: str) -> c.Text:
    if text_id == "nanchong-2012":
        return c.relocate(
            c.load("guangyuan-2011"),
            "nanchong-2012",
            {
                "广元": "南充",
                "川陕甘结合部经济文化生态强市": "成渝经济区北部中心城市",
                "旺苍县英萃镇响水村": "南部县升钟镇水观村",
                "旺苍、苍溪": "南部、仪陇",
                "昭化妹": "嘉陵妹",
                "徐兰芳": "何志强",
                "陈久红": "杨春林",
                "市第六次工代会": "市第七次工代会",
                "市六次党代会": "市七次党代会",
                "市第六次党代会": "市第七次党代会",
            },
            1,
        )
    if text_id == "siming-reordered":
        t = c.reorder(c.load("siming-2012"), "siming-2012-reordered", slice(1, 5), slice(5, 9))
        return c.near_duplicate(
            t,
            t.id,
            edits={
                "区工会被评为全国“五五”普法先进单位。": (
                    "区工会被评为全国“五五”普法先进单位和省级模范职工之家。"
                )
            },
        )
    return c.load(text_id)


def _title(t: c.Text, text_id: str) -> str:
    if text_id == "guangyuan-2011":
        return "关于我市工会工作情况的汇报"
    return t.title


class WenkuSite(Site):
    name = "wenku"
    encoding = "utf-8"
    declared = "utf-8"
    gzip = True

    def build(self) -> None:
        self.add_robots(
            "Disallow: /search", "Disallow: /download/", content_type="text/plain; charset=utf-8"
        )
        entries = []
        for text_id, num, who, when, fmt, size, total, preview, tag in DOCS:
            t = _text(text_id)
            title = _title(t, text_id)
            fname = f"{title}.{fmt.lower()}"
            paras = list(t.paras)
            if text_id == "guangyuan-2011":  # the body repeats the inner title, as uploaded
                paras = (
                    ["关于全市工会工作情况的汇报", "广元市总工会"] + paras[1:]
                    if paras[0] == "广元市总工会"
                    else paras
                )
            t.paras = paras
            path = f"/p-{num}.html"
            # page captions interleaved with the text: split paragraphs over the preview pages
            per = -(-len(paras) // preview)
            # another site family (.doc) writes "第 k 页 共 N 页" without the slash
            caption_form = "第 {k} 页 共 {total} 页" if fmt == "DOC" else "第{k}页 / 共{total}页"

            def caption(k, total=total, form=caption_form):
                return form.format(k=k, total=total)

            blocks = []
            for k in range(preview):
                chunk = paras[k * per : (k + 1) * per]
                ps = "\n".join(f"<p>{esc(p)}</p>" for p in chunk)
                blocks.append(
                    f'<div class="pageBox"><div class="page-img"><img '
                    f'alt="{esc(fname)}_第{k + 1}页" src="/img/{num}/{k + 1}.png"><span '
                    f'class="cap">{esc(fname)}_第{k + 1}页</span></div>\n'
                    f'<div class="page-text">{ps}</div>\n<div class="page-num">'
                    f"{caption(k + 1)}</div></div>"
                )
            if preview < total:
                limit = (
                    f"亲,该文档总共{total}页,到这儿已超出免费预览范围,如果喜欢就下载吧!</div>\n"
                    f'<div class="readmore">已阅读{preview}页,还剩{total - preview}页未读 '
                    f'<a href="/download/{num}">继续免费阅读</a>'
                )
            else:
                limit = f"亲,该文档总共{total}页,全部预览完了,如果喜欢就下载吧!"
            related = "".join(
                f'<li><a href="/p-{d[1]}.html">{esc(_title(_text(d[0]), d[0]))}.'
                f"{d[4].lower()}</a></li>"
                for d in DOCS
                if d[1] != num
            )
            body = f"""<div class="crumb">当前位置：<a href="/">首页</a> &gt; \
<a href="/tag/{tag}.html">解决方案</a> &gt; 工作总结</div>
<div class="doc">
<h1>{esc(fname)}</h1>
<div class="docinfo">上传人：{who}　文档编号：{num}　上传时间：{when}　格式：{fmt}　页数：{total}　\
大小：{size}</div>
<div class="tools"><a href="/download/{num}">下载</a> <a href="#related">相关</a> \
<a href="/report/{num}">举报</a></div>
<div class="preview">
{chr(10).join(blocks)}
</div>
<div class="limit">{limit}</div>
<div class="dl"><a href="/download/{num}">下载资源</a></div>
<div class="desc"><h2>资源描述</h2>
<p>《{esc(fname)}》由会员{who}分享,可在线阅读,更多相关《{esc(fname)}({total}页珍藏版)》请在{SITE}上搜索。</p></div>
<div class="more"><a href="javascript:void(0)">展开阅读全文</a></div>
<div class="related" id="related"><h3>相关资源</h3><ul>{related}</ul></div>
<div class="guess"><h3>猜你喜欢</h3><ul>{related}</ul></div>
<div class="hot"><h3>相关搜索</h3>\
<a href="/tag/gonghui.html">工会工作汇报</a> <a href="/tag/jihua.html">工作计划</a></div>
</div>"""
            self.add(path, self.html_page(_chrome(f"{fname}-{SITE}", body)))
            self.gold(path, t, published_date=when, title=title)
            entries.append((tag, path, fname, when))
        # tag listings with ?page=N (2 per page)
        for tag in sorted({e[0] for e in entries}):
            mine = [e for e in entries if e[0] == tag]
            pages = [mine[i : i + 2] for i in range(0, len(mine), 2)]
            self.tag_pages[tag] = []
            for _n, chunk in enumerate(pages, start=1):
                lis = "".join(
                    f'<li><a href="{p}">{esc(f)}</a> <span>{w}</span></li>' for _, p, f, w in chunk
                )
                nav = " ".join(
                    f'<a href="/tag/{tag}.html?page={k}">{k}</a>' for k in range(1, len(pages) + 1)
                )
                body = (
                    f'<div class="crumb">当前位置：<a href="/">首页</a> &gt; 标签</div><ul '
                    f'class="doclist">{lis}</ul><div class="pages">{nav}</div>'
                )
                self.tag_pages[tag].append(self.html_page(_chrome(f"{tag}相关文档-{SITE}", body)))
        lis = "".join(f'<li><a href="{p}">{esc(f)}</a></li>' for _, p, f, _w in entries)
        tags = " ".join(
            f'<a href="/tag/{tag}.html?page=1">{tag}</a>' for tag in sorted(self.tag_pages)
        )
        self.add(
            "/",
            self.html_page(
                _chrome(
                    f"{SITE}-海量文档免费下载",
                    f'<div class="hot"><h2>热门文档</h2><ul>{lis}</ul></div><div '
                    f'class="tags">{tags}</div>',
                )
            ),
        )

    tag_pages: dict

    def __init__(self, *a: object, **kw: object) -> None:
        self.tag_pages = {}
        super().__init__(*a, **kw)

    def dynamic(self, path: str, query: str) -> Page | None:
        if path.startswith("/tag/") and path.endswith(".html"):
            pages = self.tag_pages.get(path[5:-5])
            if not pages:
                return None
            from urllib.parse import parse_qs

            try:
                n = int(parse_qs(query).get("page", ["1"])[0])
            except ValueError:
                return None
            if 1 <= n <= len(pages):
                return pages[n - 1]
        return None
