"""Package one crawl as WACZ 1.1.1: ``union-archive wacz --data DIR [--crawl ID] [-o FILE]``.

Layout (stored, not deflated, so that replay tools can seek into the WARCs)::

    archive/<the crawl's .warc.gz files>
    indexes/index.cdx          CDXJ lines (cdxj-indexer; POST answers keyed by their form), sorted
    pages/pages.jsonl          HTML pages fetched by GET with status 200 (json-pages-1.0)
    datapackage.json           resources with sha256 and size, wacz_version 1.1.1
    datapackage-digest.json    sha256 of datapackage.json

``wacz validate -f FILE`` (PyPI ``wacz``) accepts it; ReplayWeb.page opens it.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import click

WACZ_VERSION = "1.1.1"


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return n, "sha256:" + h.hexdigest()


def _iso(ts14: str) -> str:
    return f"{ts14[0:4]}-{ts14[4:6]}-{ts14[6:8]}T{ts14[8:10]}:{ts14[10:12]}:{ts14[12:14]}Z"


def crawl_files(data_dir: Path, crawl_id: str | None) -> tuple[str, list[Path], dict]:
    """The WARC files of one crawl of the archive in ``data_dir``, wherever they were written
    (DATA/warc, a recorded WARC_DIR, Redis workers' directories: archive.warc.dirs)."""
    from archive.store.reindex import warc_files
    from archive.warc.dirs import warc_dirs
    from archive.warc.read import crawl_infos

    files = warc_files(Path(data_dir))  # in the order they were opened
    where = " ".join(str(d) for d in warc_dirs(data_dir))
    infos = crawl_infos(files)
    if not infos:
        raise click.ClickException(f"no WARC files in {where}")
    if crawl_id is None:
        crawl_id = list(infos)[-1]  # files are in write order: the latest crawl
    if crawl_id not in infos:
        raise click.ClickException(f"no crawl {crawl_id!r} in {where} (crawls: {', '.join(infos)})")
    info = infos[crawl_id]
    by_name = {p.name: p for p in files}
    return crawl_id, [by_name[name] for name in info["files"]], info


def build_wacz(
    warc_files: list[Path],
    out_path: Path,
    *,
    title: str,
    description: str | None = None,
    start_urls: list[str] | None = None,
) -> Path:
    from cdxj_indexer.main import SortingWriter

    from archive.warc.cdxj import SORT_BUFFER_CHARS, index_files

    cdx_buf = io.StringIO()
    sorter = SortingWriter(cdx_buf, SORT_BUFFER_CHARS)
    index_files(warc_files, sorter)
    sorter.flush()
    cdx = cdx_buf.getvalue().encode("utf-8")

    pages, seen = [], set()
    for line in cdx.decode("utf-8").splitlines():
        _, ts, data = line.split(" ", 2)
        fields = json.loads(data)
        url = fields.get("url")
        if (
            fields.get("status") == "200"
            and "method" not in fields  # a POST's answer is no page to open by its URL
            and (fields.get("mime") or "").startswith("text/html")
            and url not in seen
        ):
            seen.add(url)
            pages.append(
                {
                    "id": hashlib.sha1(f"{url} {ts}".encode()).hexdigest()[:16],
                    "url": url,
                    "ts": _iso(ts),
                }
            )
    pages.sort(key=lambda p: (p["url"] not in (start_urls or []), p["ts"]))
    pages_jsonl = (
        "\n".join(
            [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
            + [json.dumps(p, ensure_ascii=False) for p in pages]
        ).encode("utf-8")
        + b"\n"
    )

    resources = [
        {
            "name": "pages.jsonl",
            "path": "pages/pages.jsonl",
            "hash": _sha256(pages_jsonl),
            "bytes": len(pages_jsonl),
        },
        {"name": "index.cdx", "path": "indexes/index.cdx", "hash": _sha256(cdx), "bytes": len(cdx)},
    ]
    for p in warc_files:
        size, digest = _file_sha256(p)
        resources.append(
            {"name": p.name.lower(), "path": f"archive/{p.name}", "hash": digest, "bytes": size}
        )
    from importlib.metadata import version

    package = {
        "profile": "data-package",
        "resources": resources,
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description or title,
        "software": f"union-archive {version('union-archive')}",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if pages:
        package["mainPageUrl"] = pages[0]["url"]
        package["mainPageDate"] = pages[0]["ts"]
    package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    digest = json.dumps({"path": "datapackage.json", "hash": _sha256(package_bytes)}).encode()

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
        for p in warc_files:
            z.write(p, f"archive/{p.name}")
        z.writestr("indexes/index.cdx", cdx)
        z.writestr("pages/pages.jsonl", pages_jsonl)
        z.writestr("datapackage.json", package_bytes)
        z.writestr("datapackage-digest.json", digest)
    tmp.replace(out_path)
    return out_path
