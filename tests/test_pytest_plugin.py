"""The pytest plugin, used as a user would: from a separate test suite, through the entry
point that ``pip install glance-emulator`` registers."""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

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


@pytest.mark.contract
def test_plugin_fixture_from_a_users_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user_suite=USER_SUITE)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_plugin_reports_bad_scenario_names(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad=textwrap.dedent(
            """
            import pytest

            @pytest.mark.glance_emulator(scenario="no-such-scenario")
            def test_bad(glance_emulator_clean):
                pass
            """
        )
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*No scenario named 'no-such-scenario'*"])
