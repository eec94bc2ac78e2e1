"""WARC files: per-record gzip members, size rotation, ``.open`` until closed.

File names are ``{prefix}-{YYYYMMDDHHMMSS}-{serial:05d}.warc.gz``; while a file is
being written it is called ``<name>.open`` and it is renamed when closed, so a
crash never leaves a half-written file that looks finished.
``recover_open_files`` (run when a writer starts) cuts a leftover ``.open`` file
back to its last complete record and gives it its final name.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

if TYPE_CHECKING:
    from types import ModuleType

    from warcio.recordloader import ArcWarcRecord

logger = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
DEFAULT_MAX_SIZE = 1_000_000_000
OPEN_SUFFIX = ".open"

# gzip members come from ISA-L (python-isal) by default: the same format for every reader,
# less CPU than zlib for slightly larger files (docs/warc.md has the figures); stdlib zlib
# stays available (WARC_COMPRESSOR = "zlib"), and is what any reader decompresses with.
COMPRESSORS = {"isal": (0, 3, 3), "zlib": (0, 9, 6)}  # name: (lowest, highest, default level)
DEFAULT_COMPRESSOR = "isal"
DEFAULT_GZIP_LEVEL = COMPRESSORS[DEFAULT_COMPRESSOR][2]


def compression(
    compressor: str | None = None, level: int | str | None = None
) -> tuple[ModuleType, int]:
    """(zlib-like module, level) for the WARC_COMPRESSOR and WARC_GZIP_LEVEL settings
    (None or "": the defaults); ValueError with a one-line reason when they are wrong."""
    name = compressor or DEFAULT_COMPRESSOR
    if name not in COMPRESSORS:
        raise ValueError(f"WARC_COMPRESSOR must be one of {', '.join(COMPRESSORS)}, got {name!r}")
    low, high, default = COMPRESSORS[name]
    try:
        value = default if level in (None, "") else int(level)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise ValueError(
            f"WARC_GZIP_LEVEL must be {low}..{high} for the {name} compressor, got {level!r}"
        )
    if name == "zlib":
        return zlib, value
    try:
        from isal import isal_zlib
    except ImportError as exc:
        raise ValueError(
            "WARC_COMPRESSOR 'isal' needs the isal package (pip install isal); "
            "or set WARC_COMPRESSOR to 'zlib'"
        ) from exc
    return isal_zlib, value


class _GzipMember:
    """Compresses everything written between construction and flush() into one gzip member."""

    def __init__(self, out, level: int, module=zlib):
        self.out = out
        self.compressor = module.compressobj(level, module.DEFLATED, module.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())


class _Counter:
    """File-like sink that counts what goes to the file (tell() without syscalls)."""

    def __init__(self, fh, pos: int = 0):
        self.fh = fh
        self.pos = pos

    def write(self, data: bytes) -> None:
        if data:
            self.fh.write(data)
            self.pos += len(data)

    def flush(self) -> None:
        pass


class RecordBuilder(WARCWriter):
    """warcio's record builder/serializer, WARC/1.1, with our own gzip level."""

    # request and metadata records: block digest only (a payload digest there says nothing)
    NO_PAYLOAD_DIGEST_TYPES = ("warcinfo", "revisit", "request", "metadata")

    def __init__(self, gzip_level: int | None = None, compressor: str | None = None):
        super().__init__(None, gzip=False, warc_version=WARC_VERSION)
        self.module, self.gzip_level = compression(compressor, gzip_level)

    def serialize(self, sink: BinaryIO, record: ArcWarcRecord) -> None:
        self._write_warc_record(_GzipMember(sink, self.gzip_level, self.module), record)


def warc_name(prefix: str, when: datetime, serial: int) -> str:
    return f"{prefix}-{when.strftime('%Y%m%d%H%M%S')}-{serial:05d}.warc.gz"


class WarcFileWriter:
    """Writes records of one crawl into size-rotated files in ``directory``."""

    def __init__(
        self,
        directory: str | Path,
        prefix: str = "union",
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        gzip_level: int | None = None,
        compressor: str | None = None,
        info: dict | None = None,
        on_close: Callable[[Path], None] | None = None,
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_size = int(max_size)
        self.builder = RecordBuilder(gzip_level, compressor)
        self.info = dict(info or {})
        self.on_close = on_close
        self.serial = 0
        self.filename: str | None = None  # final name of the current file
        self.warcinfo_id: str | None = None
        self.closed_files: list[Path] = []
        self._fh = None
        self._sink: _Counter | None = None

    # -- files -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._sink.pos if self._sink else 0

    def _open(self) -> None:
        now = datetime.now(UTC)
        while True:
            name = warc_name(self.prefix, now, self.serial)
            final, partial = self.directory / name, self.directory / (name + OPEN_SUFFIX)
            self.serial += 1
            if not final.exists() and not partial.exists():
                break
        self._fh = open(partial, "xb")
        self._sink = _Counter(self._fh)
        self.filename = name
        record = self.warcinfo_record(name)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        try:
            self.builder.serialize(self._sink, record)
            self._fh.flush()
        except OSError:
            self._cut_back(0)
            raise

    def warcinfo_record(self, filename: str) -> ArcWarcRecord:
        lines = []
        for key, value in self.info.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if v is not None and v != "":
                    lines.append(f"{key}: {v}\r\n")
        payload = "".join(lines).encode("utf-8")
        headers = StatusAndHeaders("", [], protocol=WARC_VERSION)
        headers.add_header("WARC-Type", "warcinfo")
        headers.add_header("WARC-Record-ID", self.builder._make_warc_id())
        headers.add_header("WARC-Filename", filename)
        headers.add_header("WARC-Date", self.builder.curr_warc_date())
        return self.builder.create_warc_record(
            "", "warcinfo", warc_headers=headers, payload=io.BytesIO(payload), length=len(payload)
        )

    def close(self) -> Path | None:
        """Close the current file and give it its final name."""
        if self._fh is None:
            return None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self.directory / self.filename
        os.replace(self.directory / (self.filename + OPEN_SUFFIX), final)
        self._fh = self._sink = None
        self.closed_files.append(final)
        if self.on_close:
            self.on_close(final)
        return final

    # -- records ---------------------------------------------------------------
    def write(self, records: list) -> list[tuple[str, int, int]]:
        """Write the records of one exchange into one file; (filename, offset, length) each."""
        if self._fh is not None and self.size >= self.max_size:
            self.close()
        if self._fh is None:
            self._open()
        out = []
        begin = self._sink.pos
        try:
            for record in records:
                if record.rec_type == "response" and not record.rec_headers.get_header(
                    "WARC-Warcinfo-ID"
                ):
                    record.rec_headers.add_header("WARC-Warcinfo-ID", self.warcinfo_id)
                start = self._sink.pos
                self.builder.serialize(self._sink, record)
                out.append((self.filename, start, self._sink.pos - start))
            self._fh.flush()
        except OSError:
            self._cut_back(begin)
            raise
        return out

    def _cut_back(self, good: int) -> None:
        """After a failed write (a full disk): the file is cut back to its ``good`` bytes
        (the exchanges written whole) and closed, or removed if none was; the next write
        opens a new file."""
        partial = self.directory / (self.filename + OPEN_SUFFIX)
        fh, self._fh, self._sink = self._fh, None, None
        try:
            fh.close()  # its buffer cannot be written; the descriptor is closed anyway
        except OSError:
            pass
        if good == 0:
            partial.unlink(missing_ok=True)
            return
        os.truncate(partial, good)  # frees space, never needs any
        final = self.directory / self.filename
        os.replace(partial, final)
        self.closed_files.append(final)
        logger.error("WARC file %s closed at %d bytes: a write failed", final.name, good)
        if self.on_close:
            self.on_close(final)


def recover_open_files(directory: str | Path) -> list[Path]:
    """Cut leftover ``*.warc.gz.open`` files (a crashed crawl) to their last complete
    gzip member (= record) and rename them; files with no complete record go away."""
    recovered = []
    for partial in sorted(Path(directory).glob(f"*.warc.gz{OPEN_SUFFIX}")):
        good = _complete_prefix(partial)
        final = partial.with_name(partial.name[: -len(OPEN_SUFFIX)])
        if good == 0:
            partial.unlink()
            logger.warning("removed %s: no complete WARC record", partial.name)
            continue
        with open(partial, "r+b") as fh:
            fh.truncate(good)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, final)
        logger.warning("recovered %s (%d bytes kept)", final.name, good)
        recovered.append(final)
    return recovered


def _complete_prefix(path: Path) -> int:
    """Bytes of ``path`` made of complete gzip members."""
    good = pos = 0
    d = zlib.decompressobj(zlib.MAX_WBITS + 16)
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                return good
            data = chunk
            while data:
                try:
                    d.decompress(data)
                except zlib.error:
                    return good
                if d.eof:
                    used = len(data) - len(d.unused_data)
                    pos += used
                    good = pos
                    data = d.unused_data
                    d = zlib.decompressobj(zlib.MAX_WBITS + 16)
                else:
                    pos += len(data)
                    data = b""


def default_info(crawl_id: str | None, description: str | None, **extra: object) -> dict:
    from importlib.metadata import version

    def v(pkg):
        try:
            return version(pkg)
        except Exception:
            return "?"

    info = {
        "software": (
            f"union-archive/{v('union-archive')} (Scrapy {v('scrapy')}; warcio {v('warcio')})"
        ),
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": crawl_id,
        "crawl-id": crawl_id,
        "description": description,
        "hostname": socket.gethostname(),
    }
    info.update(extra)
    return info
