"""Reading scenario files: YAML in, a validated dict out, errors that name field and line."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError

from emulator.control.scenario_format import load_document
from emulator.core import errors

PACKAGED = "emulator.scenarios"
#: Where a value sits in a document: keys and list positions from the top.
Path_ = tuple[str | int, ...]


class ScenarioError(errors.BadRequest):
    """A scenario that cannot be loaded; nothing of it was stored."""


def _line_index(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each field path of a YAML document to its (1-based) line."""
    index: dict[tuple[str | int, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return index

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        index[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, (*path, key.value))
                index[(*path, key.value)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                walk(item, (*path, position))

    if root is not None:
        walk(root, ())
    return index


def _flatten(messages: Any, path: tuple[str | int, ...] = ()) -> list[tuple[Path_, str]]:
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            sub = path if key == "_schema" else (*path, key)
            found.extend(_flatten(value, sub))
        return found
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, "; ".join(messages))]
    if isinstance(messages, list):
        return [item for m in messages for item in _flatten(m, path)]
    return [(path, str(messages))]


def _describe(path: Path_, lines: dict[Path_, int]) -> str:
    dotted = ".".join(str(p) for p in path) or "(top level)"
    probe = path
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe)
    return f"{dotted} (line {line})" if line else dotted


def parse(text: str, source: str = "<scenario>") -> dict[str, Any]:
    """Validate a scenario text; raises ScenarioError naming every bad field."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ScenarioError(f"{source}: not valid YAML{where}: {exc}") from exc
    return validate(document, source, _line_index(text))


def validate(
    document: Any, source: str = "<scenario>", lines: dict[Path_, int] | None = None
) -> dict[str, Any]:
    try:
        return load_document(document)
    except ValidationError as exc:
        problems = [
            f"{_describe(path, lines or {})}: {message}" for path, message in _flatten(exc.messages)
        ]
        raise ScenarioError(f"{source}: " + "; ".join(problems)) from exc


def packaged_names() -> list[str]:
    folder = resources.files(PACKAGED)
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def read_packaged(name: str) -> tuple[str, str]:
    """(text, source) of a scenario shipped in the package."""
    if name not in packaged_names():
        close = difflib.get_close_matches(name, packaged_names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(
            f"No scenario named {name!r}.{hint} Known: {', '.join(packaged_names())} "
            "(or give the path of a .yaml file)."
        )
    entry = resources.files(PACKAGED) / f"{name}.yaml"
    return entry.read_text(encoding="utf-8"), f"scenario {name}"


def read(name_or_path: str) -> tuple[dict[str, Any], Path | None]:
    """A packaged scenario by name, or a file by path: (validated scenario, base dir)."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(f"{name_or_path}: cannot read: {exc.strerror}") from exc
        return parse(text, str(path)), path.parent
    text, source = read_packaged(name_or_path)
    return parse(text, source), None


def describe_packaged() -> list[tuple[str, str]]:
    result = []
    for name in packaged_names():
        text, _ = read_packaged(name)
        document = yaml.safe_load(text) or {}
        result.append((name, " ".join(str(document.get("description", "")).split())))
    return result
