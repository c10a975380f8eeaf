"""The README's "Installing into your own project": its in-process example runs, the extra
it names exists, and `make run` installs only the package (no test or dev extras)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    found = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert found, title
    return found.group(1)


def test_the_in_process_example_runs() -> None:
    blocks = re.findall(
        r"^```python\n(.*?)^```$", section("Installing into your own project"), re.M | re.S
    )
    assert len(blocks) == 1
    exec(compile(blocks[0], "README example", "exec"), {})  # noqa: S102 - our own README


def test_the_pytest_extra_exists() -> None:
    assert "[pytest]" in section("Installing into your own project")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert {"pytest", "openstacksdk"} <= {re.split(r"[<>=]", d)[0] for d in extras["pytest"]}


def test_make_run_installs_only_what_serving_needs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^\$\(RUN_STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe
    assert "pip install -q --disable-pip-version-check -e . >" in recipe.group(1)
    assert re.search(r"^run: \$\(RUN_STAMP\)$", makefile, re.M)
