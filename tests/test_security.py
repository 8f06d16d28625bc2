"""Security checks over the source tree itself."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.support.paths import REPO

PACKAGES = ["connector", "adapters"]


def test_no_sql_built_by_string_formatting() -> None:
    """Bandit's SQL-injection rule (ruff S608) finds no query built from formatted strings."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--select",
            "S608",
            "--output-format",
            "concise",
            "--no-cache",
            *PACKAGES,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_every_suppressed_sql_warning_says_why() -> None:
    """Each `noqa: S608` explains why the formatted part cannot carry data (placeholders only)."""
    offenders = []
    for path in [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = re.search(r"noqa: S608(.*)$", line)
            if match and not re.match(r"\s*-\s*\S.{8,}", match.group(1)):
                offenders.append(f"{path.relative_to(REPO)}:{number}")
    assert offenders == []


def test_no_secret_or_phi_field_is_logged_by_name() -> None:
    """No log call passes a patient-identifying field at all (logs carry ids and codes only)."""
    pattern = re.compile(
        r"\blog\w*\.(info|warning|error|debug|exception)\([^)]*\b"
        r"(first_name|last_name|birth_date|dob|ssn|member_id)\s*="
    )
    hits = []
    for path in [p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        hits += [f"{path.relative_to(REPO)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert hits == []
