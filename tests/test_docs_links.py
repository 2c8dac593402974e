"""The README and the docs link only to files inside the repository, and every such link resolves:
a reader of a fresh clone (or of the repository's web page) never meets a dead or outside link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# docs/api/ holds the published specification verbatim: its links are the publisher's site paths.
OURS = [path for path in DOCS if not path.is_relative_to(ROOT / "docs" / "api")]
# [text](target) and ![alt](target); the target ends at the first space or closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")
# `../shared/...` style mentions of files outside the repository, in prose or code spans.
OUTSIDE = re.compile(r"\.\./shared/")


def links(path: Path) -> list[str]:
    return [target for target in LINK.findall(path.read_text()) if not re.match(r"[a-z]+:", target)]


@pytest.mark.parametrize("path", OURS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_to_a_file_in_the_repository(path):
    for target in links(path):
        file_part = target.split("#", 1)[0]
        if not file_part:
            continue  # an anchor on the same page
        resolved = (path.parent / file_part).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_document_points_outside_the_repository(path):
    assert not OUTSIDE.search(path.read_text()), f"{path.name} names a file outside the repository"


def test_the_specification_the_project_implements_is_in_the_repository():
    spec = ROOT / "docs" / "api" / "block-storage-api.md"
    assert "Block Storage API Specification" in spec.read_text()
    assert "docs/api/block-storage-api.md" in (ROOT / "README.md").read_text()
