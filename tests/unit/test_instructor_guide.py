"""docs/instructor-guide.md stays true to the kit: its links resolve, it names every "Your turn"
task's solution file (and only existing ones), the kernels it tells learners to pick are those
the SageMaker lifecycle script registers, and the README links to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workshop_lib.paths import NOTEBOOKS_DIR, REPO_ROOT

GUIDE = REPO_ROOT / "docs" / "instructor-guide.md"
LIFECYCLE = REPO_ROOT / "setup" / "sagemaker-lifecycle.sh"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _without_code(text: str) -> str:
    return re.sub(r"```.*?```", "", text, flags=re.S)


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading (as tests/unit/test_docs.py computes it)."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6} (.+)$", _without_code(path.read_text()), flags=re.M)
    return {_slug(h) for h in headings}


def _task_solutions() -> list[str]:
    """The solution file of every task cell of notebooks 01-04, in notebook order."""
    found = []
    for notebook in sorted(NOTEBOOKS_DIR.glob("0[1-4]_*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if "solution" in cell.get("metadata", {}):
                found.append(cell["metadata"]["solution"])
    return found


def test_links_and_anchors_of_the_guide_resolve():
    broken = []
    for target in LINK.findall(_without_code(GUIDE.read_text())):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (GUIDE.parent / file_part).resolve() if file_part else GUIDE
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, "; ".join(broken)


def test_the_guide_names_every_task_and_its_solution():
    text = GUIDE.read_text()
    solutions = _task_solutions()
    assert len(solutions) == 8  # two per notebook 01-04
    missing = [name for name in solutions if f"`{name}`" not in text]
    assert not missing, f"the guide's task table lacks {missing}"
    named = set(re.findall(r"`(0[1-4]_[a-z_]+\.py)`", text))
    assert named == set(solutions), (
        f"files the guide names but no task uses: {named - set(solutions)}"
    )
    assert all((NOTEBOOKS_DIR / "solutions" / name).is_file() for name in named)


def test_the_kernels_in_the_guide_are_those_the_lifecycle_script_registers():
    script = LIFECYCLE.read_text()
    registered = dict(
        re.findall(r'--name (\S+) \\\n\s+--display-name "([^"]+)"', script)
    )  # kernel name -> display name
    assert registered == {
        "python3": "Python 3 (workshop)",
        "python3-local": "Python 3 (workshop, local emulator)",
    }
    guide = GUIDE.read_text()
    for name, display in registered.items():
        assert f"| `{name}` | {display} |" in guide, name
    assert "--env WORKSHOP_TARGET local" in script
    assert (
        "| `python3-local` | Python 3 (workshop, local emulator) | `WORKSHOP_TARGET=local` |"
        in (guide)
    )


def test_the_readme_links_to_the_guide():
    assert "](docs/instructor-guide.md)" in (REPO_ROOT / "README.md").read_text()
