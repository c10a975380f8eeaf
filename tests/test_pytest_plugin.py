"""The pytest plugin, used as a user would: from a separate test suite, through the entry
point that ``pip install glance-emulator`` registers.

Each pytester run starts a new pytest process (and an emulator), so the user's files are
run together in as few runs as possible; ``-v`` output names each test's outcome.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"

USER_SUITE = textwrap.dedent(
    """
    import pytest

    def test_connect_and_create(glance_emulator):
        conn = glance_emulator.connect("producer")
        image = conn.image.create_image(
            "from-plugin", disk_format="raw", container_format="bare", allow_duplicates=True
        )
        names = [i.name for i in conn.image.images()]
        assert "from-plugin" in names
        assert image.owner == glance_emulator.users["producer"].project_id
        assert glance_emulator.clouds_yaml.read_text().count("auth_url") == 4

    def test_clean_state_between_tests(glance_emulator_clean):
        conn = glance_emulator_clean.connect("producer")
        assert [i.name for i in conn.image.images()] == []

    @pytest.mark.glance_emulator(scenario="sharing-101")
    def test_scenario_marker(glance_emulator_clean):
        consumer = glance_emulator_clean.connect("consumer")
        listed = sorted(i.name for i in consumer.image.images())
        assert listed == ["golden-base", "public-readme"]
        pending = [
            i.name for i in consumer.image.images(visibility="shared", member_status="pending")
        ]
        assert pending == ["tools-snapshot"]

    def test_urls(glance_emulator):
        assert glance_emulator.auth_url == glance_emulator.base_url + "/identity/v3"
        assert glance_emulator.image_url.startswith("http://127.0.0.1:")
    """
)

# More of the plugin: scenario files, users and clouds.yaml that follow a reset, Glance's
# sharing profile by default, and a bad scenario name reported as a fixture error.
MORE_SUITE = textwrap.dedent(
    """
    import pytest
    import yaml

    @pytest.mark.glance_emulator(scenario="lab.yaml")
    def test_marker_with_a_scenario_file(glance_emulator_clean):
        users = glance_emulator_clean.users
        assert sorted(users) == ["admin", "alice", "consumer", "outsider", "producer"]
        assert users["alice"].project_name == "team-a"
        assert users["alice"].password is None  # not "<name>-pass": only the hash is kept
        alice = glance_emulator_clean.connect("alice", password="s3cret")
        assert [i.name for i in alice.image.images()] == ["team-image"]
        assert alice.current_project_id == users["alice"].project_id

    @pytest.mark.glance_emulator(scenario="classroom")
    def test_users_and_clouds_yaml_follow_the_scenario(glance_emulator_clean):
        assert sorted(glance_emulator_clean.users) == [
            "admin", "instructor", "student1", "student2", "student3"]
        clouds = yaml.safe_load(glance_emulator_clean.clouds_yaml.read_text())["clouds"]
        assert sorted(clouds) == sorted(glance_emulator_clean.users)
        assert clouds["student1"]["auth"]["password"] == "student1-pass"
        assert clouds["student1"]["auth"]["auth_url"] == glance_emulator_clean.auth_url
        student = glance_emulator_clean.connect("student1")
        assert [i.name for i in student.image.images()] == ["course-image"]

    def test_clean_brings_the_demo_accounts_back(glance_emulator_clean):
        assert sorted(glance_emulator_clean.users) == [
            "admin", "consumer", "outsider", "producer"]
        assert glance_emulator_clean.connect("consumer").current_project_id

    @pytest.mark.glance_emulator(scenario="sharing-101")
    def test_default_profile_is_glance(glance_emulator_clean):
        consumer = glance_emulator_clean.connect("consumer")
        producer = glance_emulator_clean.connect("producer")
        offered = producer.image.find_image("tools-snapshot")
        # Glance: a pending member may show a shared image by id.
        assert consumer.image.get_image(offered.id).name == "tools-snapshot"

    def test_reset_from_a_test(glance_emulator):
        glance_emulator.reset("sharing-101")
        assert "golden-base" in [
            i.name for i in glance_emulator.connect("producer").image.images()]
        glance_emulator.reset()
        assert list(glance_emulator.connect("producer").image.images()) == []

    @pytest.mark.glance_emulator(scenario="no-such-scenario")
    def test_bad_scenario_name(glance_emulator_clean):
        pass
    """
)

LAB_YAML = textwrap.dedent(
    """
    name: lab
    projects: [{name: team-a}]
    users: [{name: alice, password: s3cret, project: team-a}]
    images:
      - {name: team-image, owner: team-a, visibility: private}
    """
)

STRICT_SUITE = textwrap.dedent(
    """
    import pytest
    import requests

    def token(emulator, user):
        response = requests.post(emulator.auth_url + "/auth/tokens", timeout=10, json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": user + "-pass"}}},
            "scope": {"project": {"name": user, "domain": {"id": "default"}}}}})
        return response.headers["X-Subject-Token"]

    @pytest.mark.glance_emulator(scenario="sharing-101")
    def test_strict_profile_hides_offers_until_accepted(glance_emulator_clean):
        headers = {"X-Auth-Token": token(glance_emulator_clean, "producer")}
        mine = requests.get(glance_emulator_clean.image_url + "/v2/images", headers=headers,
                            timeout=10).json()["images"]
        ids = {i["name"]: i["id"] for i in mine}
        consumer = {"X-Auth-Token": token(glance_emulator_clean, "consumer")}
        url = glance_emulator_clean.image_url + "/v2/images/"
        pending = requests.get(url + ids["tools-snapshot"], headers=consumer, timeout=10)
        accepted = requests.get(url + ids["golden-base"], headers=consumer, timeout=10)
        assert (pending.status_code, accepted.status_code) == (404, 200)

    def test_health_reports_the_profile(glance_emulator):
        health = requests.get(glance_emulator.base_url + "/_emulator/health", timeout=10)
        assert health.json()["sharing_profile"] == "strict"
    """
)


def readme_example() -> str:
    """The complete test file shown in the README's pytest section."""
    text = README.read_text()
    section = re.search(r"^## Using it from pytest\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "README has no '## Using it from pytest' section"
    blocks = [
        b
        for b in re.findall(r"^```python\n(.*?)^```$", section.group(1), re.M | re.S)
        if "def test_" in b
    ]
    assert len(blocks) == 1, "expected one complete example test file"
    return blocks[0]


@pytest.mark.contract
def test_plugin_fixtures_from_a_users_suite(pytester: pytest.Pytester) -> None:
    example = readme_example()
    pytester.makepyfile(
        test_user_suite=USER_SUITE, test_more=MORE_SUITE, test_readme_example=example
    )
    (pytester.path / "lab.yaml").write_text(LAB_YAML)
    # --strict-markers: the plugin registers its marker.
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", "--strict-markers")

    readme_tests = re.findall(r"^def (test_\w+)", example, re.M)
    assert len(readme_tests) == 3
    user_tests = re.findall(r"^def (test_\w+)", USER_SUITE + MORE_SUITE, re.M)
    result.assert_outcomes(passed=len(readme_tests) + len(user_tests) - 1, errors=1)
    result.stdout.fnmatch_lines(
        [f"*test_readme_example.py::{name} PASSED*" for name in readme_tests], consecutive=False
    )
    result.stdout.fnmatch_lines(["*test_more.py::test_bad_scenario_name ERROR*"])
    result.stdout.fnmatch_lines(["*No scenario named 'no-such-scenario'*"])


def test_plugin_sharing_profile_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nglance_emulator_sharing_profile = strict\n")
    pytester.makepyfile(test_strict=STRICT_SUITE)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_readme_ini_example_is_the_real_option() -> None:
    text = README.read_text()
    assert "[pytest]\nglance_emulator_sharing_profile = strict\n" in text


# Tests that each rely on what their fixture promises, and break what the next one may rely
# on: a scenario without the demo accounts, a reset over HTTP, images left behind.
ORDER_SUITE = textwrap.dedent(
    """
    import pytest
    import requests

    @pytest.mark.glance_emulator(scenario="classroom")
    def test_clean_with_a_scenario_without_demo_accounts(glance_emulator_clean):
        assert "producer" not in glance_emulator_clean.users
        student = glance_emulator_clean.connect("student1")
        assert [i.name for i in student.image.images()] == ["course-image"]

    def test_session_has_the_demo_accounts(glance_emulator):
        conn = glance_emulator.connect("producer")
        conn.image.create_image("left-behind", disk_format="raw", container_format="bare",
                                allow_duplicates=True)
        assert sorted(glance_emulator.users) == ["admin", "consumer", "outsider", "producer"]

    def test_session_after_a_reset_over_http(glance_emulator):
        assert glance_emulator.connect("consumer").current_project_id
        requests.post(glance_emulator.base_url + "/_emulator/reset", timeout=30,
                      json={"scenario": "classroom"}).raise_for_status()

    def test_session_after_a_reset_in_a_test(glance_emulator):
        assert glance_emulator.connect("outsider").current_project_id
        glance_emulator.reset("classroom")

    def test_clean_is_empty(glance_emulator_clean):
        assert sorted(glance_emulator_clean.users) == [
            "admin", "consumer", "outsider", "producer"]
        assert list(glance_emulator_clean.connect("producer").image.images()) == []

    @pytest.mark.glance_emulator(scenario="sharing-101")
    def test_clean_with_a_scenario(glance_emulator_clean):
        consumer = glance_emulator_clean.connect("consumer")
        assert sorted(i.name for i in consumer.image.images()) == [
            "golden-base", "public-readme"]

    def test_connect_names_the_users_that_exist(glance_emulator_clean):
        with pytest.raises(KeyError) as failure:
            glance_emulator_clean.connect("student1")
        assert str(failure.value).startswith(
            "No user 'student1' in the emulator now (the demo accounts); its users are: "
            "admin, consumer, outsider, producer.")

    @pytest.fixture(scope="module")
    def producer(glance_emulator):
        # Made before the per-test reset, whenever its first test comes.
        return glance_emulator.connect("producer")

    def test_a_module_fixture_logs_in_whatever_ran_before(glance_emulator_clean, producer):
        assert list(producer.image.images()) == []

    @pytest.mark.glance_emulator(scenario="classroom")
    def test_session_fixture_refuses_a_scenario(glance_emulator):
        pass
    """
)

# Runs the collected tests in the order named by GLANCE_EMULATOR_TEST_ORDER: forward,
# reverse or random:<seed>.
ORDER_CONFTEST = textwrap.dedent(
    """
    import os
    import random

    def pytest_collection_modifyitems(items):
        order = os.environ["GLANCE_EMULATOR_TEST_ORDER"]
        if order == "reverse":
            items.reverse()
        elif order.startswith("random:"):
            random.Random(int(order.split(":")[1])).shuffle(items)
    """
)


@pytest.mark.contract
@pytest.mark.parametrize("order", ["forward", "reverse", "random:1", "random:7", "random:42"])
def test_each_test_gets_what_its_fixture_promises_in_any_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, order: str
) -> None:
    pytester.makepyfile(test_order=ORDER_SUITE)
    pytester.makeconftest(ORDER_CONFTEST)
    monkeypatch.setenv("GLANCE_EMULATOR_TEST_ORDER", order)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", "--strict-markers")
    names = re.findall(r"^def (test_\w+)", ORDER_SUITE, re.M)
    result.assert_outcomes(passed=len(names) - 1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_session_fixture_refuses_a_scenario*",
            "*@pytest.mark.glance_emulator(scenario='classroom') needs the "
            "glance_emulator_clean fixture*",
        ]
    )


FAILING_SUITE = textwrap.dedent(
    """
    import requests

    def test_passes(glance_emulator):
        requests.get(glance_emulator.base_url + "/v2/images/from-the-passing-test", timeout=10)

    def test_fails(glance_emulator_clean):
        conn = glance_emulator_clean.connect("producer")
        conn.image.create_image("seen-in-report", disk_format="raw", container_format="bare")
        requests.get(glance_emulator_clean.base_url + "/v2/images/no-such", timeout=10)
        assert False, "the request log follows"

    def test_fails_without_emulator():
        assert False
    """
)


def test_a_failing_test_reports_its_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_failing=FAILING_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    text = result.stdout.str()
    section = text.split("glance-emulator requests", 1)[1].split("short test summary")[0]
    assert text.count("glance-emulator requests") == 1  # not for the test without it
    assert "POST /identity/v3/auth/tokens 201" in section
    assert "POST /v2/images 201" in section
    assert "GET /v2/images/no-such 401" in section
    assert "producer" in section  # who made the image
    assert "from-the-passing-test" not in section  # only this test's requests


FAULT_SUITE = textwrap.dedent(
    """
    import openstack
    import pytest

    def test_fault_helper(glance_emulator_clean):
        conn = glance_emulator_clean.connect("producer")
        with glance_emulator_clean.fault(status=503, method="GET", path="/v2/images",
                                         count=2) as rule:
            assert list(conn.image.images()) == []  # the SDK retries 503s
        assert rule.fired == 2
        statuses = [e["status"] for e in glance_emulator_clean.requests(
            path="/v2/images", method="GET")]
        assert statuses[:3] == [200, 503, 503]

    def test_a_rule_left_in_force_ends_with_its_test(glance_emulator):
        glance_emulator.fault(status=503).__enter__()

    def test_no_rule_from_the_previous_test(glance_emulator):
        assert list(glance_emulator.connect("producer").image.images()) is not None
        assert glance_emulator.app.extensions["emulator.faults"].list() == []

    def test_a_bad_rule_is_refused(glance_emulator):
        with pytest.raises(Exception, match="No user 'nobody'"):
            with glance_emulator.fault(status=503, user="nobody"):
                pass
    """
)


def test_the_fault_helper(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_faults=FAULT_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
