"""Hostile input (issue 23): compression bombs and content codings, with the peak RSS of the
real processes."""
from __future__ import annotations

import sys

import pytest

from archive.warc_read import MAX_DECODED
from tests import bombs
from tests.bombs import MB, PAGE, peak_rss


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_each_content_coding_is_decoded(coding):
    from archive.warc_read import decode_content

    assert decode_content(bombs.encode(PAGE, coding), coding) == PAGE


BOMBS = {"br": bombs.brotli_bomb, "zstd": bombs.zstd_bomb,
         "gzip": lambda: bombs.deflate_bomb(256 * MB, wbits=31),
         "deflate": lambda: bombs.deflate_bomb(256 * MB)}


@pytest.mark.parametrize("coding", BOMBS)
def test_a_content_coding_bomb_is_an_error_in_bounded_memory(tmp_path, coding):
    """2 GB of br in 1.6 KB took the crawler to 2.2 GB of RSS; every coding now stops at
    MAX_DECODED (measured in a process of its own)."""
    bomb = tmp_path / "bomb"
    bomb.write_bytes(BOMBS[coding]())
    code = ("import sys\nfrom archive.warc_read import DecodingError, decode_content\n"
            "try:\n    decode_content(open(sys.argv[1], 'rb').read(), sys.argv[2])\n"
            "except DecodingError as exc:\n    print(exc)\n")
    run = peak_rss([sys.executable, "-c", code, str(bomb), coding], tmp_path / "rss.json")
    assert run["stdout"].strip() == f"decoded body larger than {MAX_DECODED} bytes", run
    assert run["max_rss_mb"] < 400, run
