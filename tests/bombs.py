"""Support for the hostile-input tests (no tests here): compression bombs, hostile pages and
a loopback server that sends them, and the peak RSS of a command and its descendants.

    python -m tests.bombs peak-rss OUT.json CMD ...   # runs CMD, writes its exit code and
                                                      # the largest RSS of it and its children
"""

from __future__ import annotations

import functools
import io
import json
import resource
import subprocess
import sys
import zipfile
import zlib
from http.server import BaseHTTPRequestHandler

from tests.hostile import Loopback
from zoo.attachments import pdf_file

MB = 1024 * 1024
ARTICLE_TEXT = "".join(
    f"第{i}段：坚持以职工为中心，推进工资集体协商，维护职工合法权益，开展劳模评选。"
    for i in range(40)
)
PAGE = (
    "<html><head><meta charset='utf-8'><title>市总工会2023年工作报告</title></head><body>"
    "<h1>市总工会2023年工作报告</h1>"
    + "".join(
        f"<p>第{i}段：坚持以职工为中心，推进工资集体协商，维护职工合法权益，开展劳模评选。</p>"
        for i in range(40)
    )
    + "</body></html>"
).encode("utf-8")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _chunks(total: int, chunk: bytes):
    for _ in range(total // len(chunk)):
        yield chunk


@functools.cache
def brotli_bomb(size: int = 2048 * MB) -> bytes:
    """``size`` zero bytes, brotli-compressed (2 GB: 1.6 KB)."""
    import brotli

    c = brotli.Compressor(quality=5, lgwin=24)
    return b"".join([*(c.process(x) for x in _chunks(size, bytes(16 * MB))), c.finish()])


@functools.cache
def zstd_bomb(size: int = 2048 * MB) -> bytes:
    from backports import zstd

    c = zstd.ZstdCompressor()
    return b"".join([*(c.compress(x) for x in _chunks(size, bytes(16 * MB))), c.flush()])


@functools.cache
def deflate_bomb(size: int = 512 * MB, wbits: int = zlib.MAX_WBITS) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join([*(c.compress(x) for x in _chunks(size, bytes(16 * MB))), c.flush()])


def encode(body: bytes, coding: str) -> bytes:
    """``body`` in one HTTP content coding."""
    if coding == "gzip":
        import gzip

        return gzip.compress(body, mtime=0)
    if coding == "deflate":
        return zlib.compress(body)
    if coding == "br":
        import brotli

        return brotli.compress(body)
    if coding == "zstd":
        from backports import zstd

        return zstd.compress(body)
    raise ValueError(coding)


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
    ),
}


@functools.cache
def docx_bomb(paragraphs: int = 1_000_000) -> bytes:
    """A valid .docx whose document.xml is ``paragraphs`` paragraphs of one report
    sentence (a million: ~170 MB of XML and 40 million characters of text in a ~1 MB file)."""
    para = (f"<w:p><w:r><w:t>{ARTICLE_TEXT[:40]}</w:t></w:r></w:p>").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in _DOCX_PARTS.items():
            z.writestr(name, text)
        with z.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{_W}"><w:body>'.encode()
            )
            block = para * 1000
            for _ in range(paragraphs // 1000):
                f.write(block)
            f.write(b"</w:body></w:document>")
    return out.getvalue()


def pdf(content: bytes, flate: bool = True) -> bytes:
    """A one-page PDF (Helvetica) whose page content stream is ``content``, FlateDecoded."""
    data = zlib.compress(content, 9) if flate else content
    filt = b" /Filter /FlateDecode" if flate else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"
        ),
        b"<< /Length %d%s >>\nstream\n" % (len(data), filt) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_file(objects, root=1)


def text_ops(lines: list[str]) -> bytes:
    ops = [b"BT /F1 10 Tf 40 800 Td 12 TL"]
    ops += [b"(%s) Tj T*" % line.encode("latin-1") for line in lines]
    return b"\n".join(ops + [b"ET"])


@functools.cache
def pdf_bomb(size: int = 1024 * MB) -> bytes:
    """A PDF whose one content stream (a line of text, then ``size`` bytes of spaces)
    is 1 MB compressed per GB."""
    return pdf(text_ops(["Union work report"]) + b" " * size)


def deep_page(depth: int = 200_000) -> bytes:
    return (
        b"<html><head><meta charset='utf-8'><title>\xe6\xb7\xb1</title></head><body>"
        + b"<div>" * depth
        + PAGE.split(b"<body>")[1].split(b"</body>")[0]
        + b"</div>" * depth
        + b"</body></html>"
    )


class Hostile(Loopback):
    """A loopback server serving ``routes``: path -> (headers, body); the home page links to
    every route; ``log`` keeps (path, headers) per request."""

    def __init__(self, routes: dict[str, tuple[list[tuple[str, str]], bytes]]):
        self.routes = routes
        self.log: list[tuple[str, dict]] = []
        super().__init__(self.serve)

    def home(self) -> bytes:
        links = "".join(
            f'<li><a href="{p}">工会工作报告{i}</a></li>' for i, p in enumerate(self.routes)
        )
        return (
            f"<html><head><meta charset='utf-8'><title>工会首页</title></head>"
            f"<body><ul>{links}</ul></body></html>"
        ).encode()

    def serve(self, h: BaseHTTPRequestHandler) -> None:
        self.log.append((h.path, dict(h.headers.items())))
        path = h.path
        if path == "/":
            headers, body = [("Content-Type", "text/html; charset=utf-8")], self.home()
        elif path in self.routes:
            headers, body = self.routes[path]
        else:
            headers, body = [("Content-Type", "text/plain")], b"no"
        h.send_response_only(200 if path == "/" or path in self.routes else 404)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)


def peak_rss(cmd: list[str], out_json, timeout: float = 600) -> dict:
    """Runs ``cmd`` under this module's ``peak-rss`` wrapper: {"returncode", "max_rss_mb",
    "stdout", "stderr"}; the RSS is the largest of the command and of every descendant it
    waited for (getrusage RUSAGE_CHILDREN in a fresh wrapper process)."""
    subprocess.run(
        [sys.executable, "-m", "tests.bombs", "peak-rss", str(out_json), *cmd],
        timeout=timeout,
        check=True,
    )
    return json.loads(open(out_json, encoding="utf-8").read())


def _peak_rss_main(out_json: str, cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KB on Linux
    with open(out_json, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "returncode": proc.returncode,
                "max_rss_mb": round(peak, 1),
                "stdout": proc.stdout[-5000:],
                "stderr": proc.stderr[-5000:],
            },
            fh,
        )


if __name__ == "__main__":
    if sys.argv[1] == "peak-rss":
        _peak_rss_main(sys.argv[2], sys.argv[3:])
