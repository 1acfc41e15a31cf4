"""The READMEs and the notebooks' markdown: every relative link and #anchor resolves, and no
real-looking AWS account id is written down (only the placeholders everyone knows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from workshop_lib.paths import REPO_ROOT

DOCS = [
    REPO_ROOT / "README.md",
    REPO_ROOT / "setup" / "README.md",
    REPO_ROOT / "data" / "sample" / "README.md",
    *sorted((REPO_ROOT / "notebooks").glob("0*.ipynb")),
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# moto's account, Segment's public accounts (trust policies), and AWS's documented examples
KNOWN_ACCOUNTS = {"123456789012", "595280932656", "107630771604", "210987654321"}


def _markdown(path: Path) -> str:
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", _markdown(path), flags=re.S)  # no headings in code
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_and_anchors_resolve(doc):
    broken = []
    for target in LINK.findall(re.sub(r"```.*?```", "", _markdown(doc), flags=re.S)):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:...
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix in (".md", ".ipynb") and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, f"{doc.relative_to(REPO_ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_real_looking_account_id_is_written_down(doc):
    found = set(re.findall(r"(?<![\d.])\d{12}(?![\d.])", _markdown(doc))) - KNOWN_ACCOUNTS
    assert not found, f"{doc.relative_to(REPO_ROOT)} names account ids {sorted(found)}"


def test_the_slug_follows_github():
    assert _slug("AccessDenied right after a role is created") == (
        "accessdenied-right-after-a-role-is-created"
    )
    assert _slug("Kernel not found (NoSuchKernel)") == "kernel-not-found-nosuchkernel"
    assert _slug("What it costs on AWS") == "what-it-costs-on-aws"
