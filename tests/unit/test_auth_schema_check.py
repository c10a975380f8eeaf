"""The quick schema check of a token request agrees with jsonschema's validator.

``auth_request.conforms`` lets a login body the validator would pass skip the validator
(about 100 us a login); whatever it refuses goes to the validator, which words the error.
So it must never pass a body the validator refuses, nor refuse one it passes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.identity.domain.auth_request import _VALIDATOR, AUTH_SCHEMA, conforms

# Any JSON value, as json.loads makes them.
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def _shaped(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the schema's shape, any part of which may be any JSON value instead."""
    kinds = schema.get("type")
    names = [kinds] if isinstance(kinds, str) else list(kinds or [])
    made: list[st.SearchStrategy[Any]] = [JSON]
    if "object" in names:
        properties = {name: _shaped(inner) for name, inner in schema.get("properties", {}).items()}
        required = {name: properties.get(name, JSON) for name in schema.get("required", ())}
        optional = {name: value for name, value in properties.items() if name not in required}
        made.append(st.fixed_dictionaries(required, optional=optional))
    if "array" in names:
        made.append(st.lists(_shaped(schema.get("items", {})), max_size=3))
    if "string" in names:
        made.append(st.text(max_size=5))
    if "boolean" in names:
        made.append(st.booleans())
    return st.one_of(*made)


def _keywords(schema: dict[str, Any]) -> set[str]:
    found = set(schema)
    for inner in schema.get("properties", {}).values():
        found |= _keywords(inner)
    if "items" in schema:
        found |= _keywords(schema["items"])
    return found


def test_the_schema_uses_only_the_keywords_the_check_knows() -> None:
    assert _keywords(AUTH_SCHEMA) <= {"type", "properties", "items", "required"}


@settings(max_examples=2000, deadline=None)
@given(_shaped(AUTH_SCHEMA))
def test_the_check_agrees_with_the_validator(body: Any) -> None:
    assert conforms(AUTH_SCHEMA, body) == _VALIDATOR.is_valid(body)


def test_both_outcomes_are_reached() -> None:
    """The property above sees valid bodies and invalid ones (not only noise)."""
    valid = {"identity": {"methods": ["password"], "password": {"user": {"name": "a"}}}}
    assert conforms(AUTH_SCHEMA, valid) and _VALIDATOR.is_valid(valid)
    for broken in (
        {"identity": {"methods": "password"}},
        {"identity": {"methods": [1]}},
        {"identity": {}},
        {"identity": {"methods": [], "token": {}}},
        {"identity": {"methods": []}, "scope": 3},
        {"identity": {"methods": []}, "scope": {"system": {"all": "yes"}}},
        {"identity": {"methods": []}, "scope": {"system": {"all": 1}}},  # a number, no bool
        {"identity": {"methods": [], "password": {"user": {"domain": {"id": None}}}}},
        [],
    ):
        assert not conforms(AUTH_SCHEMA, broken) and not _VALIDATOR.is_valid(broken)
