"""The README's layout table and docs/architecture.md's module table match the tree."""

from __future__ import annotations

import re
import subprocess

from tests.workflow import ROOT


def table_paths(markdown: str, heading: str) -> set[str]:
    """The backticked paths in the first column of the table under ``heading``."""
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {path.rstrip("/") for cell in cells for path in re.findall(r"`([^`]+)`", cell)}


def tracked_top_level() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {name.split("/", 1)[0] for name in files if "/" in name} | {"Snakefile", "config.yaml"}


def test_readme_layout_lists_every_top_level_folder_and_nothing_else():
    listed = table_paths((ROOT / "README.md").read_text(), "## Layout")
    assert listed == tracked_top_level()


def test_readme_is_short():
    assert len((ROOT / "README.md").read_bytes()) <= 12 * 1024


def test_architecture_lists_every_module_of_the_package():
    listed = table_paths((ROOT / "docs" / "architecture.md").read_text(), "## Layout")
    package = ROOT / "stepwise"
    modules = {f"stepwise/{p.name}" for p in package.glob("*.py") if p.name != "__init__.py"}
    subpackages = {f"stepwise/{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    assert modules | subpackages <= listed, sorted((modules | subpackages) - listed)
    assert {path for path in listed if path.startswith("stepwise/")} <= {
        str(p.relative_to(ROOT)) for p in package.rglob("*") if "__pycache__" not in p.parts
    }
