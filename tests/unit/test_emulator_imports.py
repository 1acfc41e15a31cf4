"""The emulator is server side: nothing under workshop_lib/emulator/ imports the client side."""

from __future__ import annotations

import ast
from pathlib import Path

import workshop_lib

PACKAGE = Path(workshop_lib.__file__).parent
EMULATOR = PACKAGE / "emulator"
CLIENT_MODULES = {p.stem for p in PACKAGE.glob("*.py")} | {
    p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "emulator"
}


def _imported(source: str, package: str) -> list[str]:
    """Absolute names of the modules (and names) a module of `package` imports."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


def client_imports(source: str, package: str) -> list[str]:
    found = []
    for name in _imported(source, package):
        parts = name.split(".")
        if parts[0] == "workshop_lib" and len(parts) > 1 and parts[1] in CLIENT_MODULES:
            found.append(name)
    return found


def test_no_emulator_module_imports_the_client_side():
    offenders = {}
    for path in EMULATOR.rglob("*.py"):
        package = ".".join(["workshop_lib", *path.relative_to(PACKAGE).parent.parts])
        if found := client_imports(path.read_text(), package):
            offenders[str(path.relative_to(PACKAGE))] = found
    assert offenders == {}


def test_the_scan_sees_relative_and_absolute_client_imports():
    source = (
        "from ...settings import LOCAL_ACCOUNT_ID\nimport workshop_lib.paths\n"
        "from ..config import state_dir\nfrom workshop_lib import connection\n"
    )
    assert client_imports(source, "workshop_lib.emulator.compute") == [
        "workshop_lib.settings",
        "workshop_lib.settings.LOCAL_ACCOUNT_ID",
        "workshop_lib.paths",
        "workshop_lib.connection",
    ]
