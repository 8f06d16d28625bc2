"""Statements of an emulated schema script (``schema.sql``), for the seeds that run them."""

from __future__ import annotations


def statements(script: str) -> list[str]:
    """The script's statements: ``--`` comments dropped, split at ``;``, empty ones left out."""
    lines = [line.split("--", 1)[0].rstrip() for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
