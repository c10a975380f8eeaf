"""The replay's rules without a server: reading a recording, learning and substituting ids,
rewriting logins, comparing answers, and the runner over a fake endpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from emulator.replay.compare import compare_answers, differences, normalise
from emulator.replay.ids import IdMap
from emulator.replay.logins import WRONG_PASSWORD, CannotReplay, identity_of, login_body
from emulator.replay.recording import RecordingError, load, offsets
from emulator.replay.runner import Answer, Replayer, Target, summary

OLD_IMAGE = "11111111-1111-1111-1111-111111111111"
NEW_IMAGE = "22222222-2222-2222-2222-222222222222"
OLD_PROJECT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
NEW_PROJECT = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


# --- ids ---------------------------------------------------------------------------------------


def test_ids_are_learned_from_two_answers_side_by_side() -> None:
    ids = IdMap()
    ids.learn(
        {"id": OLD_IMAGE, "owner": OLD_PROJECT, "name": "same-name", "tags": []},
        {"id": NEW_IMAGE, "owner": NEW_PROJECT, "name": "same-name", "tags": []},
    )
    assert ids.as_dict() == {OLD_IMAGE: NEW_IMAGE, OLD_PROJECT: NEW_PROJECT}


def test_lists_pair_item_by_item_only_when_as_long() -> None:
    ids = IdMap()
    ids.learn({"members": [{"member_id": OLD_PROJECT}]}, {"members": []})
    assert len(ids) == 0
    ids.learn({"members": [{"member_id": OLD_PROJECT}]}, {"members": [{"member_id": NEW_PROJECT}]})
    assert ids.get(OLD_PROJECT) == NEW_PROJECT


def test_short_values_catalogs_and_links_are_not_learned() -> None:
    ids = IdMap()
    ids.learn(
        {
            "domain_id": "default",
            "token": {"catalog": [{"id": "c" * 32}], "roles": [{"id": "r" * 32}]},
        },
        {
            "domain_id": "deflt",
            "token": {"catalog": [{"id": "d" * 32}], "roles": [{"id": "s" * 32}]},
        },
    )
    assert len(ids) == 0


def test_the_first_pairing_wins_and_a_conflict_is_noted() -> None:
    ids = IdMap()
    ids.add(OLD_IMAGE, NEW_IMAGE)
    ids.add(OLD_IMAGE, "33333333-3333-3333-3333-333333333333")
    assert ids.get(OLD_IMAGE) == NEW_IMAGE
    assert ids.conflicts == [(OLD_IMAGE, NEW_IMAGE, "33333333-3333-3333-3333-333333333333")]


def test_substitution_in_paths_queries_and_bodies() -> None:
    ids = IdMap()
    ids.add(OLD_IMAGE, NEW_IMAGE)
    ids.add(OLD_PROJECT, NEW_PROJECT)
    assert (
        ids.substitute_text(f"/v2/images/{OLD_IMAGE}/members/{OLD_PROJECT}")
        == f"/v2/images/{NEW_IMAGE}/members/{NEW_PROJECT}"
    )
    assert ids.substitute_text(f"owner={OLD_PROJECT}&limit=2") == f"owner={NEW_PROJECT}&limit=2"
    body = {"server": {"imageRef": f"http://a/v2/images/{OLD_IMAGE}", "min_count": 1}}
    assert ids.substitute(body) == {
        "server": {"imageRef": f"http://a/v2/images/{NEW_IMAGE}", "min_count": 1}
    }


# --- comparing ---------------------------------------------------------------------------------


def test_shapes_compare_keys_types_and_lengths_not_values() -> None:
    recorded = {"status": "active", "size": 3, "tags": ["a"], "gone": 1, "checksum": None}
    replayed = {"status": "queued", "size": None, "tags": [], "new": 1, "checksum": "abc"}
    assert differences(recorded, replayed) == [
        "$.gone: missing from the replay",
        "$.new: only in the replay",
        "$.size: number recorded, null replayed",
        "$.tags: 1 items recorded, 0 replayed",
    ]


def test_values_mode_compares_values_but_not_times_hashes_or_hosts() -> None:
    recorded = {
        "status": "active",
        "created_at": "2026-01-01T00:00:00Z",
        "os_hash_value": "aa",
        "file": "http://127.0.0.1:1/v2/images/x/file",
        "when": "2026-01-01T00:00:00.000000Z",
    }
    replayed = {
        "status": "queued",
        "created_at": "2027-01-01T00:00:00Z",
        "os_hash_value": "bb",
        "file": "https://cloud.example:9292/v2/images/x/file",
        "when": "2027-05-05T10:00:00+00:00",
    }
    assert differences(recorded, replayed, mode="values") == [
        "$.status: 'active' recorded, 'queued' replayed"
    ]
    assert differences(recorded, replayed) == []
    assert normalise("2026-01-01T00:00:00Z") == "<time>"


def test_answers_compare_status_then_bodies_with_ids_put_in() -> None:
    ids = IdMap()
    ids.add(OLD_IMAGE, NEW_IMAGE)
    same = compare_answers(
        recorded_status=200,
        recorded_body={"id": OLD_IMAGE},
        replayed_status=200,
        replayed_body={"id": NEW_IMAGE},
        ids=ids,
        mode="values",
    )
    assert same == []
    assert compare_answers(
        recorded_status=200,
        recorded_body={"id": OLD_IMAGE},
        replayed_status=404,
        replayed_body={"message": "no"},
        ids=ids,
    ) == ["status: 200 recorded, 404 replayed"]
    assert compare_answers(
        recorded_status=200,
        recorded_body={"a": 1},
        replayed_status=200,
        replayed_body=None,
        ids=ids,
    ) == ["body: JSON recorded, none replayed"]
    with pytest.raises(ValueError, match="mode"):
        compare_answers(
            recorded_status=200,
            recorded_body=None,
            replayed_status=200,
            replayed_body=None,
            ids=ids,
            mode="loose",
        )


# --- logins ------------------------------------------------------------------------------------


def _token(user_id: str, project_id: str | None) -> dict[str, Any]:
    token: dict[str, Any] = {
        "user": {"id": user_id, "name": "producer", "domain": {"id": "default", "name": "Default"}}
    }
    if project_id:
        token["project"] = {"id": project_id, "name": "producer", "domain": {"id": "default"}}
    return {"token": token}


def _login(user: dict[str, Any], scope: dict[str, Any] | None = None) -> dict[str, Any]:
    auth: dict[str, Any] = {
        "identity": {"methods": ["password"], "password": {"user": {**user, "password": "***"}}}
    }
    if scope:
        auth["scope"] = scope
    return {"auth": auth}


def test_a_login_gets_its_password_back() -> None:
    body = login_body(
        _login(
            {"name": "producer", "domain": {"id": "default"}}, {"project": {"name": "producer"}}
        ),
        _token("u" * 32, OLD_PROJECT),
        passwords={"producer": "pw"},
        ids=IdMap(),
        user_tokens={},
    )
    assert body["auth"]["identity"]["password"]["user"]["password"] == "pw"
    assert body["auth"]["scope"] == {"project": {"name": "producer"}}


def test_ids_the_other_side_does_not_know_become_names() -> None:
    body = login_body(
        _login({"id": "u" * 32}, {"project": {"id": OLD_PROJECT}}),
        _token("u" * 32, OLD_PROJECT),
        passwords={"producer": "pw"},
        ids=IdMap(),
        user_tokens={},
    )
    assert body["auth"]["identity"]["password"]["user"] == {
        "name": "producer",
        "domain": {"name": "Default"},
        "password": "pw",
    }
    assert body["auth"]["scope"] == {"project": {"name": "producer", "domain": {"id": "default"}}}
    ids = IdMap()
    ids.add(OLD_PROJECT, NEW_PROJECT)
    mapped = login_body(
        _login({"name": "producer"}, {"project": {"id": OLD_PROJECT}}),
        None,
        passwords={"producer": "pw"},
        ids=ids,
        user_tokens={},
    )
    assert mapped["auth"]["scope"] == {"project": {"id": NEW_PROJECT}}


def test_logins_that_cannot_be_sent_again_say_why() -> None:
    with pytest.raises(CannotReplay, match="no --password for user producer"):
        login_body(_login({"name": "producer"}), None, passwords={}, ids=IdMap(), user_tokens={})
    rescope = {"auth": {"identity": {"methods": ["token"], "token": {"id": "***"}}}}
    with pytest.raises(CannotReplay, match="no replayed token"):
        login_body(rescope, _token("u" * 32, None), passwords={}, ids=IdMap(), user_tokens={})
    body = login_body(
        rescope, _token("u" * 32, None), passwords={}, ids=IdMap(), user_tokens={"u" * 32: "tok"}
    )
    assert body["auth"]["identity"]["token"] == {"id": "tok"}
    assert identity_of(_token("u" * 32, OLD_PROJECT)) == ("u" * 32, OLD_PROJECT)
    assert identity_of({"error": {}}) == (None, None)


# --- reading a recording -----------------------------------------------------------------------


def _entry(seq: int, method: str, path: str, status: int, **extra: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "method": method,
        "path": path,
        "query": "",
        "status": status,
        "user_id": None,
        "user_name": None,
        "project_id": None,
        "bytes": 0,
        "request_headers": {},
        "request_body": None,
        "response_body": None,
        "body_notes": [],
        **extra,
    }


def test_a_recording_is_read_oldest_first_from_ndjson_or_json() -> None:
    items = [_entry(3, "GET", "/c", 200), _entry(1, "GET", "/a", 200), _entry(2, "GET", "/b", 200)]
    ndjson = "".join(json.dumps(item) + "\n" for item in items)
    assert [e.path for e in load(ndjson)] == ["/a", "/b", "/c"]
    assert [e.path for e in load(json.dumps({"requests": items}))] == ["/a", "/b", "/c"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("{not json\n", "line 1 is not JSON"),
        ('{"seq": 1, "method": "GET"}\n', "--record-bodies"),
        ('{"seq": 1, "request_body": null}\n', "missing or bad field"),
    ],
)
def test_what_is_not_a_recording_is_refused(text: str, message: str) -> None:
    with pytest.raises(RecordingError, match=message):
        load(text)


def test_what_a_recording_cannot_send_again() -> None:
    (control, big, chunked) = load(
        "\n".join(
            json.dumps(item)
            for item in (
                _entry(1, "POST", "/_emulator/reset", 200),
                _entry(
                    2,
                    "POST",
                    "/v2/images",
                    413,
                    body_notes=["request body over 65536 bytes: not kept"],
                ),
                _entry(3, "PUT", f"/v2/images/{OLD_IMAGE}/file", 204),
            )
        )
    )
    assert control.ignored is not None
    assert big.unreplayable is not None and "cannot be sent again" in big.unreplayable
    assert chunked.is_data and "unknown length" in (chunked.unreplayable or "")


# --- the runner, on a fake endpoint ------------------------------------------------------------


def test_target_routes_each_api_to_its_endpoint() -> None:
    cloud = Target.of("https://glance:9292/", "https://keystone:5000", "https://nova:8774")
    assert cloud.url_for("/identity/v3/auth/tokens", "") == "https://keystone:5000/v3/auth/tokens"
    assert cloud.url_for("/compute/v2.1/servers", "a=1") == "https://nova:8774/v2.1/servers?a=1"
    assert cloud.url_for("/v2/images", "") == "https://glance:9292/v2/images"
    assert Target.of("http://e:1").url_for("/identity/v3", "") == "http://e:1/identity/v3"


class FakeCloud:
    """Answers as another cloud would: its own ids, a token per login."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> Answer:
        document = json.loads(body) if body and method != "PUT" else body
        self.sent.append((method, url, dict(headers), document))
        json_type = {"content-type": "application/json"}
        if url.endswith("/auth/tokens"):
            return Answer(
                201,
                {**json_type, "x-subject-token": "new-token"},
                json.dumps(_token("n" * 32, NEW_PROJECT)).encode(),
            )
        if method == "POST":
            return Answer(
                201, json_type, json.dumps({"id": NEW_IMAGE, "owner": NEW_PROJECT}).encode()
            )
        if method == "PUT":
            return Answer(204, {}, b"")
        return Answer(404, json_type, b'{"message": "gone"}')


def test_the_runner_logs_in_maps_ids_and_judges_each_answer() -> None:
    user = {"user_id": "o" * 32, "user_name": "producer", "project_id": OLD_PROJECT}
    recording = load(
        "\n".join(
            json.dumps(item)
            for item in (
                _entry(
                    1,
                    "POST",
                    "/identity/v3/auth/tokens",
                    201,
                    request_body=_login({"name": "producer"}, {"project": {"id": OLD_PROJECT}}),
                    response_body=_token("o" * 32, OLD_PROJECT),
                ),
                _entry(
                    2,
                    "POST",
                    "/v2/images",
                    201,
                    request_body={"name": "n"},
                    response_body={"id": OLD_IMAGE, "owner": OLD_PROJECT},
                    **user,
                ),
                _entry(
                    3,
                    "PUT",
                    f"/v2/images/{OLD_IMAGE}/file",
                    204,
                    request_headers={
                        "content-length": "300",
                        "content-type": "application/octet-stream",
                    },
                    **user,
                ),
                _entry(
                    4,
                    "GET",
                    f"/v2/images/{OLD_IMAGE}",
                    200,
                    response_body={"id": OLD_IMAGE},
                    **user,
                ),
                _entry(5, "GET", "/v2/images", 200, user_id="x" * 32, user_name="stranger"),
                _entry(6, "GET", "/_emulator/requests", 200),
            )
        )
    )
    cloud = FakeCloud()
    replayer = Replayer(Target.of("http://other"), passwords={"producer": "pw"}, send=cloud)
    outcomes = replayer.run(recording)
    assert [o.outcome for o in outcomes] == [
        "same",
        "same",
        "same",
        "different",
        "skipped",
        "ignored",
    ]
    assert summary(outcomes) == {"same": 3, "different": 1, "skipped": 1, "ignored": 1}
    login, create, upload, show = cloud.sent
    assert login[1] == "http://other/identity/v3/auth/tokens"
    assert login[3]["auth"]["identity"]["password"]["user"]["password"] == "pw"
    assert "x-auth-token" not in login[2]
    assert create[2]["x-auth-token"] == "new-token"
    assert upload[1] == f"http://other/v2/images/{NEW_IMAGE}/file"
    assert len(upload[3]) == 300
    assert show[1] == f"http://other/v2/images/{NEW_IMAGE}"
    assert outcomes[3].differences == ["status: 200 recorded, 404 replayed"]
    assert outcomes[4].reason == "no replayed login of user stranger on its recorded project"
    assert outcomes[3].as_dict()["sent"] == show[1]


def test_an_endpoint_that_does_not_answer_is_a_difference() -> None:
    def refuse(method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Answer:
        raise ConnectionRefusedError("refused")

    (outcome,) = Replayer(Target.of("http://x"), passwords={}, send=refuse).run(
        load(json.dumps(_entry(1, "GET", "/versions", 300)))
    )
    assert outcome.outcome == "different"
    assert outcome.differences == ["no answer: refused"]


def test_a_catalog_is_compared_as_a_list_only() -> None:
    recorded = {"token": {"catalog": [{"type": "image"}], "roles": [{"name": "member"}]}}
    bigger = {"token": {"catalog": [{"type": "image"}, {"type": "compute"}], "roles": []}}
    assert differences(recorded, bigger) == ["$.token.roles: 1 items recorded, 0 replayed"]
    assert differences(recorded, {"token": {"catalog": None, "roles": [{"name": "member"}]}}) == [
        "$.token.catalog: array recorded, null replayed"
    ]


def test_a_refused_login_is_refused_again_without_a_password() -> None:
    body = login_body(
        _login({"name": "consumer"}),
        {"error": {"code": 401}},
        passwords={},
        ids=IdMap(),
        user_tokens={},
        refused=True,
    )
    sent = body["auth"]["identity"]["password"]["user"]["password"]
    assert sent == WRONG_PASSWORD
    with_password = login_body(
        _login({"name": "consumer"}),
        None,
        passwords={"consumer": "right"},
        ids=IdMap(),
        user_tokens={},
        refused=True,
    )
    assert with_password["auth"]["identity"]["password"]["user"]["password"] != "right"


def test_a_redacted_value_is_compared_by_type_only() -> None:
    recorded = {"server": {"id": "s", "adminPass": "***"}}
    assert differences(recorded, {"server": {"id": "s", "adminPass": "Xy12"}}, mode="values") == []
    assert differences(recorded, {"server": {"id": "s", "adminPass": None}}, mode="values") == [
        "$.server.adminPass: string recorded, null replayed"
    ]


def test_offsets_follow_the_recorded_times() -> None:
    times = [
        "2026-01-01T00:00:00.000+00:00",
        "2026-01-01T00:00:00.500+00:00",
        None,
        "2026-01-01T00:00:02.000+00:00",
        "2026-01-01T00:00:01.000+00:00",  # recorded out of order: no wait back
    ]
    entries = load(
        "\n".join(
            json.dumps(_entry(n, "GET", "/", 200, time=when)) for n, when in enumerate(times, 1)
        )
    )
    assert offsets(entries) == [0.0, 0.5, 0.5, 2.0, 2.0]
    assert offsets(load(json.dumps(_entry(1, "GET", "/", 200)))) == [0.0]
