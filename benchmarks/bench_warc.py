"""WARC capture overhead and recrawl size.

Serves ~2,000 generated 24 KB Chinese portal pages (index -> column lists -> articles;
nginx-like ETag/Last-Modified) from a separate process on 127.0.0.1, then crawls them
with Scrapy in child processes and prints:

* CPU time (user+sys of the crawl process) with WARC capture off and on, for ISA-L
  (isal, the default) and zlib at several levels, and the on/off ratio (target <= 1.15);
* WARC bytes of the first crawl and of a recrawl of the unchanged site on the same
  data dir in which *every* article is asked again with a conditional GET: the worst
  case, what one 304 exchange (request, revisit and metadata records) costs.  The
  default revisit schedule asks only articles whose time has come (the 5 % target on the
  zoo is measured by bench_recrawl.py).

    python benchmarks/bench_warc.py [--pages 2000] [--repeat 2] [--levels isal:3,zlib:6]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("UNION_SEEDS", ROOT.parent / "shared" / "seeds"))
PER_LIST = 20


# -- the site ----------------------------------------------------------------------
def corpus() -> list[str]:
    text = ""
    if SEEDS.is_dir():
        text = "".join(
            p.read_text(encoding="utf-8", errors="ignore") for p in sorted(SEEDS.glob("*.txt"))
        )
    if len(text) < 2000:
        text = "坚持以职工为中心的工作导向，推进工资集体协商，维护职工合法权益。" * 100
    parts = [s.strip() for s in text.replace("\n", "。").split("。") if len(s.strip()) > 8]
    return parts


def make_site(n_pages: int, seed: int = 7) -> dict[str, bytes]:
    rnd = random.Random(seed)
    sentences = corpus()
    n_lists = (n_pages + PER_LIST - 1) // PER_LIST
    nav = "".join(f'<li><a href="/list_{i}.html">栏目{i}</a></li>' for i in range(min(n_lists, 12)))
    nav += "".join(
        f'<li class="sub"><a href="/list_{i % max(n_lists, 1)}.html" target="_blank" '
        f'title="工会工作·专题{i}">专题{i}：职工之家建设</a></li>'
        for i in range(40)
    )
    footer = (
        "<div class='footer'><p>主办单位：某某市总工会　承办：信息中心</p>"
        "<p>地址：某某市人民路100号　邮编：361000　电话：0592-0000000</p>"
        "<p>ICP备案号：闽ICP备00000000号-1　公网安备 35020302000000号</p></div>"
    )
    head = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} - 某某市总工会</title>"
        "<link rel='stylesheet' href='/css/main.css'><script src='/js/jquery.js'></script>"
        "<style>.TRS_Editor p{{line-height:2;text-indent:2em}}</style></head><body>"
        "<div class='top'><a href='/'>首页</a> 无障碍浏览 | 长者模式 | 繁體</div>"
        "<ul class='nav'>" + nav + "</ul>"
    )
    pages: dict[str, bytes] = {}
    for a in range(n_pages):
        title = rnd.choice(sentences)[:24]
        body, size = [], 0
        while size < 17000:  # ~17 KB of Chinese text + ~7 KB of page furniture
            p = "。".join(rnd.choice(sentences) for _ in range(3)) + "。"
            body.append(f"<p>{p}</p>")
            size += len(p.encode("utf-8"))
        related = "".join(
            f'<li><a href="/art_{rnd.randrange(n_pages)}.html">'
            f"{rnd.choice(sentences)[:20]}</a></li>"
            for _ in range(10)
        )
        html = (
            head.format(title=title)
            + "<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; "
            + f"<a href='/list_{a // PER_LIST}.html'>工作报告</a></div>"
            f"<h1>{title}</h1><div class='info'>"
            f"发布时间：2023-0{1 + a % 9}-1{a % 10} 来源：市总工会 "
            "【字体：大 中 小】【打印本页】【关闭窗口】</div><div class='TRS_Editor'>"
            + "".join(body)
            + "</div><ul class='related'>"
            + related
            + "</ul>"
            + footer
            + "</body></html>"
        )
        pages[f"/art_{a}.html"] = html.encode("utf-8")
    for i in range(n_lists):
        items = "".join(
            f'<li><a href="/art_{a}.html">{i}-{a} 工作报告</a><span>2023-01-01</span></li>'
            for a in range(i * PER_LIST, min(n_pages, (i + 1) * PER_LIST))
        )
        more = f'<a href="/list_{i + 1}.html">下一页</a>' if i + 1 < n_lists else ""
        pages[f"/list_{i}.html"] = (
            head.format(title=f"工作报告 第{i + 1}页")
            + f"<ul class='list'>{items}</ul>"
            + more
            + footer
            + "</body></html>"
        ).encode("utf-8")
    pages["/"] = (
        head.format(title="首页")
        + "<a href='/list_0.html'>工作报告</a>"
        + footer
        + "</body></html>"
    ).encode()
    pages["/robots.txt"] = b"User-agent: *\nDisallow: /admin/\n"
    return pages


def serve(port_file: str, n_pages: int) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages = make_site(n_pages)
    lm = formatdate(1700000000, usegmt=True)
    etags = {p: '"%s"' % hashlib.md5(b).hexdigest()[:16] for p, b in pages.items()}

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = etags[self.path]
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            ctype = "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
            self.send_header("Server", "nginx")
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    Path(port_file).write_text(str(httpd.server_address[1]))
    httpd.serve_forever()


# -- one crawl (child process) --------------------------------------------------------
def crawl_child(cfg_path: str) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    cfg = json.loads(Path(cfg_path).read_text())

    class Bench(scrapy.Spider):
        name = "bench"
        start_urls = [cfg["start"]]

        async def start(self):
            yield scrapy.Request(cfg["start"], meta={"warc_conditional": False})

        def parse(self, response):
            if not isinstance(response, scrapy.http.TextResponse):
                return
            # the project's link extraction, done once per page as in crawler/spiders/union.py:
            # with capture on, the WARC middleware has found the links (for the metadata
            # record's outlinks) and hands them over in meta
            from crawler.links import extract_links  # (imported here: after the reactor is)
            from crawler.warc.middleware import OUTLINKS_KEY

            links = response.meta.get(OUTLINKS_KEY)
            if links is None:
                links = extract_links(response.url, response)
            for link in links:
                # lists are always fetched in full (their links must be read);
                # articles conditionally
                yield scrapy.Request(link.url, meta={"warc_conditional": "/list_" not in link.url})

    import crawler.settings as ours

    # the crawler's defaults (crawler/settings.py), under the bench's own settings
    defaults = {k: getattr(ours, k) for k in dir(ours) if k.startswith(("UNION_", "WARC_"))}
    process = CrawlerProcess({**defaults, "UNION_MIN_FREE_SPACE": 0, **cfg["settings"]})
    crawler = process.create_crawler(Bench)
    t0 = time.monotonic()
    process.crawl(crawler)
    process.start()
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    stats = crawler.stats.get_stats()
    Path(cfg["out"]).write_text(
        json.dumps(
            {
                "cpu": ru.ru_utime + ru.ru_stime,
                "wall": wall,
                "responses": stats.get("response_received_count", 0),
                "warc_cpu": stats.get("warc/cpu_seconds", 0.0),
            }
        )
    )


def run_crawl(base: str, data: Path, warc: bool, level: str | None, crawl_id: str) -> dict:
    settings = {
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "UNION_DATA_DIR": str(data),
        "UNION_CRAWL_ID": crawl_id,
        "WARC_ENABLED": warc,
        "COOKIES_ENABLED": False,
        "CONCURRENT_ITEMS": 8,  # as in crawler/settings.py (Scrapy's 100 would dilute the ratio)
    }
    if warc:
        settings["DOWNLOADER_MIDDLEWARES"] = {"crawler.warc.middleware.WarcCaptureMiddleware": 950}
        settings["DOWNLOAD_HANDLERS"] = {"http": "crawler.warc.handler.WarcHTTPDownloadHandler"}
        settings["UNION_ALLOW_LOOPBACK"] = True  # the handler's address rules: a loopback site
        if level:  # "compressor:level"
            settings["WARC_COMPRESSOR"], settings["WARC_GZIP_LEVEL"] = level.split(":")
        settings["WARC_CDXJ"] = False  # indexing runs after the crawl; timed apart
    with tempfile.TemporaryDirectory() as tmp:
        cfg, out = Path(tmp) / "cfg.json", Path(tmp) / "out.json"
        cfg.write_text(json.dumps({"start": base + "/", "settings": settings, "out": str(out)}))
        subprocess.run([sys.executable, __file__, "_crawl", str(cfg)], check=True, cwd=ROOT)
        return json.loads(out.read_text())


def warc_bytes(data: Path, crawl_files: set[Path] | None = None) -> tuple[int, set[Path]]:
    files = set((data / "warc").glob("*.warc.gz"))
    new = files - (crawl_files or set())
    return sum(f.stat().st_size for f in new), files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--levels",
        default="isal:2,isal:3,zlib:1,zlib:6,zlib:9",
        help="compressor:level pairs (WARC_COMPRESSOR, WARC_GZIP_LEVEL)",
    )
    args = ap.parse_args()
    levels = args.levels.split(",")

    tmp = Path(tempfile.mkdtemp(prefix="bench-warc-"))
    port_file = tmp / "port"
    server = subprocess.Popen([sys.executable, __file__, "_serve", str(port_file), str(args.pages)])
    try:
        for _ in range(300):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text()}"
        pages = make_site(args.pages)
        avg = sum(len(b) for p, b in pages.items() if p.startswith("/art_")) / args.pages
        print(f"site: {len(pages)} URLs, articles {avg / 1024:.1f} KB on average")

        results: dict[str, list[float]] = {"off": []}
        inner: dict[str, list[float]] = {}
        sizes: dict[str, int] = {}
        for r in range(args.repeat):
            res = run_crawl(base, tmp / f"off{r}", False, None, f"off{r}")
            results["off"].append(res["cpu"])
            print(
                f"  off     run {r}: cpu {res['cpu']:.2f}s wall {res['wall']:.2f}s "
                f"responses {res['responses']}"
            )
            for level in levels:
                data = tmp / f"l{level.replace(':', '-')}-{r}"
                res = run_crawl(base, data, True, level, f"l{level.replace(':', '-')}-{r}")
                results.setdefault(level, []).append(res["cpu"])
                inner.setdefault(level, []).append(res["cpu"] / (res["cpu"] - res["warc_cpu"]))
                sizes[level], _ = warc_bytes(data)
                print(
                    f"  {level:7} run {r}: cpu {res['cpu']:.2f}s (capture {res['warc_cpu']:.2f}s) "
                    f"wall {res['wall']:.2f}s responses {res['responses']} "
                    f"WARC {sizes[level] / 1e6:.2f} MB"
                )
                shutil.rmtree(data)
        off = min(results["off"])
        print(
            "\nCPU time of the crawl process (best of %d runs); 'in-run' ratio = total / (total -"
            " CPU spent in the capture code, thread time measured inside the same run), which is"
            " robust to load from other processes" % args.repeat
        )
        print(f"  WARC off           {off:6.2f} s")
        for level in levels:
            on = min(results[level])
            print(
                f"  WARC on, {level:7}  {on:6.2f} s   ratio {on / off:5.3f}   in-run ratio "
                f"{min(inner[level]):5.3f}   files {sizes[level] / 1e6:6.2f} MB"
            )

        from crawler.warc.writer import DEFAULT_COMPRESSOR, DEFAULT_GZIP_LEVEL

        level = f"{DEFAULT_COMPRESSOR}:{DEFAULT_GZIP_LEVEL}"
        data = tmp / "recrawl"
        run_crawl(base, data, True, level, "first")
        first, files = warc_bytes(data)
        run_crawl(base, data, True, level, "second")
        second, _ = warc_bytes(data, files)
        from archive.warc.cdxj import write_index

        t = time.process_time()
        write_index(sorted(files), tmp / "first.cdxj")
        print(
            f"\nCDXJ index of the first crawl ({first / 1e6:.1f} MB of WARC): "
            f"{time.process_time() - t:.2f} s CPU after the crawl"
        )
        if os.environ.get("BENCH_KEEP"):
            shutil.copytree(data, os.environ["BENCH_KEEP"], dirs_exist_ok=True)
        print(
            f"\nRecrawl of the unchanged site (gzip {level}, lists in full, every article "
            f"asked again with a conditional GET: the worst case, not the default schedule):"
        )
        print(
            f"  first crawl {first / 1e6:.2f} MB, recrawl {second / 1e6:.3f} MB: "
            f"{100 * second / first:.1f}% of the first, "
            f"{second / len(pages):.0f} bytes per exchange "
            f"(request + revisit + metadata record); bench_recrawl.py measures the default"
        )
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_crawl":
        sys.path.insert(0, str(ROOT))
        crawl_child(sys.argv[2])
    else:
        sys.path.insert(0, str(ROOT))
        main()
