"""Reading scenario files: every bad field is named with its path and YAML line, defaults are
filled in, packaged scenarios are found by name, and docs/scenarios.md describes exactly the
fields the schema accepts (and shows the packaged files as they are)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from marshmallow import Schema

from emulator.app import create_app, operator_unit_of_work
from emulator.control import scenario_format as schema
from emulator.control.services import scenario_files, state
from emulator.control.services.scenario_files import ScenarioError
from emulator.core.config import Config

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")

LAB_WITH_TWO_ERRORS = """\
name: lab
images:
  - name: golden
    owner: producer
    visibility: secret
    disk_format: raw
    container_format: bare
shares:
  - {image: golden, project: consumer}
  - image: golden
    project: outsider
    status: maybe
"""


def error_of(text: str, source: str = "lab.yaml") -> str:
    with pytest.raises(ScenarioError) as failure:
        scenario_files.parse(text, source)
    assert failure.value.status == 400
    return failure.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nimages:\n  - name: a\n    owner: producer\n    visibility: secret\n",
            "lab.yaml: images.0.visibility (line 5): Must be one of: community, public, "
            "private, shared.",
        ),
        ("name: x\nimagez: []\n", "lab.yaml: imagez (line 2): Unknown field."),
        (
            "images:\n  - name: a\n    owner: b\n    colour: red\n",
            "lab.yaml: images.0.colour (line 4): Unknown field.",
        ),
        (
            "images:\n  - name: a\n",
            "lab.yaml: images.0.owner (line 2): Missing data for required field.",
        ),
        (
            "shares:\n  - {image: a, project: b}\n  - image: a\n    project: b\n"
            "    status: maybe\n",
            "lab.yaml: shares.1.status (line 5): Must be one of: pending, accepted, rejected.",
        ),
        (
            "users:\n  - name: u\n    project: p\n",
            "lab.yaml: users.0.password (line 2): give exactly one of password or password_hash",
        ),
        (
            "users:\n  - {name: u, project: p, password: a,\n"
            "     password_hash: 'scrypt:4096:8:1$s$d'}\n",
            "lab.yaml: users.0.password (line 2): give exactly one of password or password_hash",
        ),
        (
            "users:\n  - {name: u, project: p, password: a, roles: [boss]}\n",
            "lab.yaml: users.0.roles.0 (line 2): Must be one of: admin, manager, member, reader.",
        ),
        (
            "images:\n  - name: a\n    owner: b\n    data: {size: 1, text: x}\n",
            "lab.yaml: images.0.data (line 4): give exactly one of file, size, text or base64",
        ),
        (
            "images:\n  - name: a\n    owner: b\n    data:\n      size: -1\n",
            "lab.yaml: images.0.data.size (line 5): Must be greater than or equal to 0 and "
            "less than or equal to 17179869184.",
        ),
        (
            "images:\n  - name: a\n    owner: b\n    min_ram: lots\n",
            "lab.yaml: images.0.min_ram (line 4): Not a valid integer.",
        ),
        (
            "images:\n  - name: a\n    owner: b\n    tags: lab\n",
            "lab.yaml: images.0.tags (line 4): Not a valid list.",
        ),
        (
            "projects:\n  - {name: p, id: 'has space'}\n",
            "lab.yaml: projects.0.id (line 2): String does not match expected pattern.",
        ),
        ("demo_accounts: perhaps\n", "lab.yaml: demo_accounts (line 1): Not a valid boolean."),
        ("- a\n- b\n", "lab.yaml: (top level) (line 1): a scenario must be a mapping"),
        ("", "lab.yaml: (top level): a scenario must be a mapping"),
    ],
)
def test_errors_name_the_field_path_and_line(text: str, expected: str) -> None:
    assert error_of(text) == expected


def test_every_error_is_reported_at_once() -> None:
    message = error_of(LAB_WITH_TWO_ERRORS)
    assert message == (
        "lab.yaml: images.0.visibility (line 5): Must be one of: community, public, private, "
        "shared.; shares.1.status (line 12): Must be one of: pending, accepted, rejected."
    )


def test_the_error_example_in_the_docs_is_real() -> None:
    assert f"glance-emulator: {error_of(LAB_WITH_TWO_ERRORS)}\n" in DOCS


def test_a_property_value_must_be_a_string() -> None:
    message = error_of("images:\n  - name: a\n    owner: b\n    properties: {n: 1}\n")
    assert message.startswith("lab.yaml: images.0.properties.n")
    assert "(line 4)" in message and "Not a valid string." in message


def test_yaml_syntax_errors_give_the_line() -> None:
    message = error_of("name: lab\nimages:\n  - name: [unclosed\n    owner: x\n")
    assert message.startswith("lab.yaml: not valid YAML at line ")
    line = int(re.search(r"at line (\d+)", message).group(1))  # type: ignore[union-attr]
    assert 3 <= line <= 5


def test_documents_without_lines_name_the_path_only() -> None:
    with pytest.raises(ScenarioError) as failure:
        scenario_files.validate({"images": [{"name": "a"}]}, "document")
    assert failure.value.message == ("document: images.0.owner: Missing data for required field.")


def test_defaults_are_filled_in() -> None:
    loaded = scenario_files.parse(
        "users: [{name: u, password: p, project: team}]\n"
        "images: [{name: a, owner: team}]\n"
        "shares: [{image: a, project: other}]\n"
    )
    assert loaded["name"] == "scenario"
    assert loaded["description"] == ""
    assert loaded["demo_accounts"] is True
    assert loaded["projects"] == []
    assert loaded["users"] == [
        {"name": "u", "password": "p", "project": "team", "roles": ["member"], "enabled": True}
    ]
    assert loaded["images"] == [{"name": "a", "owner": "team"}]
    assert loaded["shares"] == [{"image": "a", "project": "other", "status": "pending"}]


def test_json_is_accepted_as_yaml() -> None:
    document = {"name": "from-json", "images": [{"name": None, "owner": "p"}]}
    loaded = scenario_files.parse(json.dumps(document, indent=2))
    assert loaded["name"] == "from-json" and loaded["images"][0]["name"] is None


def test_an_image_may_have_no_owner_but_must_say_so() -> None:
    """An export writes ``owner: null`` for an image an admin made without owner."""
    loaded = scenario_files.parse("images: [{name: a, owner: null}]\n")
    assert loaded["images"] == [{"name": "a", "owner": None}]
    assert error_of("images: [{name: a}]\n") == (
        "lab.yaml: images.0.owner (line 1): Missing data for required field."
    )


# --- finding scenarios ------------------------------------------------------------------------


def test_packaged_scenarios_by_name() -> None:
    assert scenario_files.packaged_names() == ["classroom", "shared-images-guide", "sharing-101"]
    loaded, base_dir = scenario_files.read("sharing-101")
    assert base_dir is None
    assert [i["name"] for i in loaded["images"]] == [
        "golden-base",
        "tools-snapshot",
        "public-readme",
    ]


def test_unknown_name_suggests_the_closest_and_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError) as failure:
        scenario_files.read("sharing-102")
    assert failure.value.message == (
        "No scenario named 'sharing-102'. Did you mean 'sharing-101'? "
        "Known: classroom, shared-images-guide, sharing-101 (or give the path of a .yaml file)."
    )


def test_a_file_is_read_with_its_folder_as_base(tmp_path: Path) -> None:
    path = tmp_path / "lab.yml"
    path.write_text("name: mine\nimages: [{name: a, owner: p, data: {file: disk.img}}]\n")
    loaded, base_dir = scenario_files.read(str(path))
    assert loaded["name"] == "mine"
    assert base_dir == tmp_path


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError) as failure:
        scenario_files.read(str(missing))
    assert failure.value.message == f"{missing}: cannot read: No such file or directory"


def test_a_bad_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(LAB_WITH_TWO_ERRORS)
    with pytest.raises(ScenarioError) as failure:
        scenario_files.read(str(path))
    assert failure.value.message.startswith(f"{path}: images.0.visibility (line 5)")


# --- docs/scenarios.md ------------------------------------------------------------------------


def documented_fields(heading: str) -> list[str]:
    """First-column names of the table under a ``### heading``."""
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^##)", DOCS, re.M | re.S)
    assert match, f"docs/scenarios.md has no '### {heading}'"
    return re.findall(r"^\| `(\w+)` \|", match.group(1), re.M)


@pytest.mark.parametrize(
    ("heading", "schema_class"),
    [
        ("Top level", schema.ScenarioSchema),
        ("`projects[]`", schema.ProjectSchema),
        ("`users[]`", schema.UserSchema),
        ("`images[]`", schema.ImageSchema),
        ("`data`", schema.DataSchema),
        ("`shares[]`", schema.ShareSchema),
    ],
)
def test_docs_describe_every_field_and_no_other(heading: str, schema_class: type[Schema]) -> None:
    documented = documented_fields(heading)
    assert len(documented) == len(set(documented)), "a field is listed twice"
    assert sorted(documented) == sorted(schema_class().fields)


def test_docs_show_the_packaged_scenarios_as_they_are() -> None:
    for name in scenario_files.packaged_names():
        text, _ = scenario_files.read_packaged(name)
        assert f"### `{name}`\n\n```yaml\n{text}```" in DOCS, name


def test_docs_list_the_choices_the_schema_allows() -> None:
    assert "`public`, `community`, `shared`, `private`" in DOCS
    assert set(schema.IMAGE_VISIBILITIES) == {"public", "community", "shared", "private"}
    assert "`pending`, `accepted`, `rejected`" in DOCS
    assert schema.MEMBER_STATUSES == ("pending", "accepted", "rejected")


def test_the_export_example_in_the_docs_has_the_shape_of_a_real_export(tmp_path: Path) -> None:
    block = re.search(r"^## An export\n.*?```json\n(.*?)```", DOCS, re.M | re.S)
    assert block
    example = json.loads(block.group(1))
    scenario_files.validate(example, "docs")

    app = create_app(Config(data_dir=tmp_path))
    lab = scenario_files.validate(
        {
            "images": [
                {
                    "name": "hello",
                    "owner": "producer",
                    "visibility": "shared",
                    "disk_format": "raw",
                    "container_format": "bare",
                    "tags": ["lab"],
                    "properties": {"os_distro": "cirros"},
                    "data": {"text": "hello\n"},
                }
            ],
            "shares": [{"image": "hello", "project": "consumer", "status": "accepted"}],
        }
    )
    with operator_unit_of_work(app) as uow:
        state.reset(uow, lab)
        real = state.export(uow)
    assert list(example) == list(real)
    for part in ("projects", "users", "images", "shares"):
        assert list(example[part][0]) == list(real[part][0]), part
    assert example["images"][0]["data"] == real["images"][0]["data"]
    assert real["images"][0]["properties"] == example["images"][0]["properties"]
