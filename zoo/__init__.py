"""Local union portals with ground truth (see docs/zoo.md)."""

from .server import Zoo

__all__ = ["Zoo"]
