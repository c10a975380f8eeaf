"""The README cannot rot: every command it shows must exist.

Shell code blocks: each ``make X`` is a Makefile target, each ``glance-emulator ...`` command
(``serve`` or any other sub-command; also after a ``$ `` prompt, inside ``$(...)`` and in
inline code) parses with the real argument parser, and its options are options of that
sub-command. The options table and ``serve --help`` list the same options. The accounts
table matches the accounts a new data dir gets. The sample banner uses the labels the real
banner prints.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from emulator.cli import banner
from emulator.cli.main import build_parser
from emulator.identity.services import accounts

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
SHELL_LANGUAGES = {"sh", "shell", "bash", "console"}


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block."""
    return [
        (match.group(1), match.group(2))
        for match in re.finditer(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S)
    ]


def section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def shell_commands(text: str) -> list[str]:
    """Commands of the shell blocks: comments dropped, backslash continuations joined.

    In ``console`` blocks only ``$ `` lines are commands (the prompt is dropped); the other
    lines are output.
    """
    commands = []
    for language, body in code_blocks(text):
        if language not in SHELL_LANGUAGES:
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            if language == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


# A glance-emulator run: at the start of a command or inside $(...), up to a redirect, pipe,
# closing parenthesis or the end. ".venv/bin/glance-emulator" and "python -m emulator" too.
EMULATOR_RUN = re.compile(
    r"(?:^|\$\()\s*((?:\S*/)?glance-emulator\b[^)|<>;&]*|python\S* -m emulator\b[^)|<>;&]*)"
)


def emulator_runs(text: str) -> list[list[str]]:
    """The argument words (after the program) of every glance-emulator command shown, in
    shell blocks and in inline code (`glance-emulator reset --url URL`)."""
    inline = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", text)
    runs = []
    for command in shell_commands(text) + inline:
        for found in EMULATOR_RUN.findall(command):
            words = shlex.split(found)
            runs.append(words[3:] if words[0].startswith("python") else words[1:])
    return runs


def make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", MAKEFILE, re.M))


def command_options(command: str) -> set[str]:
    """The long options of ``glance-emulator COMMAND``, from the usage its --help prints."""
    usage = command_help(command).split("\n\n", 1)[0]
    return set(re.findall(r"--[a-z][a-z-]*", usage)) - {"--help"}


def serve_options() -> set[str]:
    return command_options("serve")


def command_help(command: str) -> str:
    """What `glance-emulator COMMAND --help` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    return out.getvalue()


def serve_help() -> str:
    return command_help("serve")


def parse(words: list[str]) -> argparse.Namespace:
    """Parse like the real program, failing the test with argparse's message on an error."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return build_parser().parse_args(words)
    except SystemExit:
        pytest.fail(f"README shows `glance-emulator {shlex.join(words)}`: {err.getvalue()}")


def test_quickstart_shows_make_run_and_make_test() -> None:
    commands = shell_commands(section("Quickstart"))
    assert "make run" in commands
    assert "make test" in commands


def test_every_make_command_is_a_makefile_target() -> None:
    targets = make_targets()
    shown = [c for c in shell_commands(README) if c.startswith("make ")]
    assert shown, "the README shows no make command"
    for command in shown:
        words = [w for w in shlex.split(command)[1:] if "=" not in w]  # VAR=value overrides
        for target in words:
            assert target in targets, f"README shows `{command}` but Makefile has no {target}"
    # make commands named in prose too (`make lint` ...)
    for target in re.findall(r"`make ([a-z-]+)", README):
        assert target in targets, target


def test_every_glance_emulator_command_parses() -> None:
    runs = emulator_runs(README)
    assert runs, "the README shows no glance-emulator command"
    shown = {words[0] for words in runs if words}
    assert {"serve", "scenarios", "reset", "load", "export", "clouds-yaml", "env"} <= shown
    for words in runs:
        words = [w for w in words if w != "--help"]
        args = parse(words)
        assert args.command == words[0], words


def test_a_misspelt_command_or_option_would_be_caught() -> None:
    # The check above must be able to fail: a wrong sub-command and another sub-command's
    # option are both refused by the real parser.
    for words in (["serv"], ["env", "producer", "--port", "1"], ["serve", "--output", "x"]):
        with pytest.raises(pytest.fail.Exception):
            parse(words)


def test_make_run_serves_as_the_readme_says() -> None:
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", MAKEFILE, re.M)
    assert recipe, "Makefile has no run recipe"
    assert "glance-emulator serve --host 127.0.0.1 --port 9292" in recipe.group(1)
    assert "http://127.0.0.1:9292" in section("Quickstart")


def test_options_table_and_help_list_the_same_options() -> None:
    options_text = section("Command line")
    documented = set(re.findall(r"`(--[a-z][a-z-]*)", options_text))
    assert documented == serve_options()


def test_options_belong_to_their_sub_command() -> None:
    for words in emulator_runs(README):
        offered = command_options(words[0]) | {"--help"}
        for option in (w.split("=", 1)[0] for w in words[1:] if w.startswith("--")):
            assert option in offered, f"`glance-emulator {shlex.join(words)}`: {option}"


def test_accounts_table_matches_the_demo_accounts() -> None:
    rows = re.findall(
        r"^\| (\w+)\s*\| `([^`]+)`\s*\| (\w+)\s*\| (\w+)", section("Demo accounts"), re.M
    )
    assert [(user, password, project, role) for user, password, project, role in rows] == [
        (name, f"{name}-pass", name, roles[0]) for name, roles in accounts.DEMO_ACCOUNTS
    ]


def test_sample_banner_uses_the_real_labels() -> None:
    sample = next(
        body for language, body in code_blocks(section("Quickstart")) if language == "text"
    )
    real = banner.render(
        version="0.1.0",
        listening_url="http://127.0.0.1:9292",
        base_url="http://127.0.0.1:9292",
        data_dir="/data",
        ephemeral=False,
        sharing_profile="glance",
        users=[banner.Account("admin", "admin-pass", "admin", "0" * 32, ("admin",))],
    )
    label = re.compile(r"^(\s*[a-zA-Z][\w ]*:)\s")
    real_labels = {m.group(1) for line in real.splitlines() if (m := label.match(line))}
    sample_labels = {m.group(1) for line in sample.splitlines() if (m := label.match(line))}
    assert sample_labels and sample_labels <= real_labels
    assert sample.splitlines()[0] == "glance-emulator listening on http://127.0.0.1:9292"


def test_share_walkthrough_heading_is_present() -> None:
    assert "## Share an image, step by step" in README


def test_sharing_profiles_are_the_ones_the_cli_offers() -> None:
    text = section("Sharing profiles")
    help_text = serve_help()
    for profile in re.findall(r"^`(\w+)`", text, re.M) + re.findall(r"\. `(\w+)` is", text):
        assert profile in help_text
    assert "{glance,strict}" in help_text
