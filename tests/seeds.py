"""The real captures in ../shared/seeds (beside the repository, as in CI)."""

from pathlib import Path

import pytest

SEEDS = next(
    (
        p
        for p in (
            Path(__file__).resolve().parents[2] / "shared" / "seeds",
            Path("/work/shared/seeds"),
        )
        if p.is_dir()
    ),
    None,
)


def seed(name: str) -> str:
    if SEEDS is None:
        pytest.skip("shared/seeds not present")
    return (SEEDS / name).read_text(encoding="utf-8")
