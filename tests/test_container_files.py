"""The Dockerfile and compose.yaml, checked without a Docker daemon (none on the machines
these tests run on): what they say, and their commands run here as the image would run
them, with the image's environment (but on 127.0.0.1 and a free port)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import yaml

from emulator.cli import ci
from emulator.cli.main import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def exec_form(word: str) -> list[str]:
    rest = dict(instructions())[word]
    if word == "HEALTHCHECK":
        rest = rest[rest.index("CMD ") + 4 :]
    command: list[str] = json.loads(rest)
    return command


def serve_variables() -> set[str]:
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    return {name for name, _ in ci.env_options(serve)}


def test_the_image_is_small_non_root_and_checked() -> None:
    found = instructions()
    words = [w for w, _ in found]
    assert found[0] == ("FROM", "python:3.11-slim")
    user = dict(found)["USER"]
    assert user not in ("root", "0")
    assert words.index("USER") < words.index("CMD")
    assert "HEALTHCHECK" in words and "EXPOSE" in words
    run = dict(found)["RUN"]
    assert "pip install --no-compile /src" in run and "[test" not in run
    # Every variable the image sets is a serve option's.
    emulator_vars = {k for k in image_env() if k.startswith(ci.ENV_PREFIX)}
    assert emulator_vars <= serve_variables()
    # What the image copies is what a wheel needs (the link's target included).
    copied = " ".join(rest for word, rest in found if word == "COPY")
    assert "api-ref" in copied and "emulator" in copied and "pyproject.toml" in copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_the_image_commands_run_here(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ci.ENV_PREFIX)}
    env.update(image_env())
    # Here: loopback and a free port, not every interface on 9292.
    env.update(
        GLANCE_EMULATOR_HOST="127.0.0.1",
        GLANCE_EMULATOR_PORT="0",
        GLANCE_EMULATOR_DATA_DIR=str(tmp_path),
        GLANCE_EMULATOR_JSON="1",
    )
    bin_dir = Path(sys.executable).parent
    command = exec_form("CMD")
    process = subprocess.Popen(
        [str(bin_dir / command[0]), *command[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["data_dir"] == str(tmp_path.resolve())
        check = [
            arg.replace("http://127.0.0.1:9292", ready["url"]) for arg in exec_form("HEALTHCHECK")
        ]
        result = subprocess.run(
            [str(bin_dir / check[0]), *check[1:]], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
    finally:
        process.send_signal(signal.SIGTERM)  # our own child
        process.communicate(timeout=20)
    assert process.returncode == 0


def test_the_compose_example() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    service = compose["services"]["glance-emulator"]
    assert service["build"] == "."
    assert all(port.startswith("127.0.0.1:") for port in service["ports"])
    assert set(service["environment"]) <= serve_variables()
    volume = service["volumes"][0].split(":")
    assert volume[0] in compose["volumes"] and volume[1] == image_env()["GLANCE_EMULATOR_DATA_DIR"]
