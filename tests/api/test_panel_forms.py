"""The panel's forms and pages with hostile input (Flask's test client): never a 5xx,
never a change without this session's CSRF token, never a token in a URL or a script
in a page. The browser tests in tests/panel/ drive the same pages in Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient

from emulator.panel.session import COOKIE_NAME

#: Percent-encoded as a browser would send them in a form body or a query string.
HOSTILE_VALUES = (
    "",
    "%ED%A0%80",  # a lone surrogate, as UTF-8 bytes: invalid
    "%FF%FE",
    "x" * 100_000,
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "0" * 400,
    "shared%0D%0ASet-Cookie:%20x=y",
)


def _csrf(client: FlaskClient, path: str = "/panel/login") -> str:
    found = re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(path, follow_redirects=True).text
    )
    assert found is not None
    return found.group(1)


def _login(client: FlaskClient, user: str = "producer") -> str:
    token = _csrf(client)
    answer = client.post(
        "/panel/login",
        data={"username": user, "password": f"{user}-pass", "csrf_token": token},
    )
    assert answer.status_code == 303
    return _csrf(client, "/panel/images")


def _image(client: FlaskClient, csrf: str) -> str:
    answer = client.post(
        "/panel/images",
        data={"name": "one", "disk_format": "raw", "container_format": "bare", "csrf_token": csrf},
    )
    found = re.search(r"/panel/images/([0-9a-f-]{36})$", answer.headers["Location"])
    assert found is not None
    return found.group(1)


def test_login_and_switch_refuse_without_csrf_and_never_put_the_token_in_a_url(
    client: FlaskClient,
) -> None:
    assert client.post("/panel/login", data={"username": "producer"}).status_code == 400
    assert client.post("/panel/switch", data={"username": "producer"}).status_code == 400
    _csrf(client)
    for forged in ("%C3%A9", "%ED%A0%80", "%FF", "x" * 5000):
        answer = client.post(
            "/panel/login",
            data=f"username=producer&password=producer-pass&csrf_token={forged}",
            content_type="application/x-www-form-urlencoded",
        )
        assert answer.status_code == 400 and "no valid CSRF token" in answer.text
    forged_header = client.post(
        "/panel/login",
        data="username=producer&password=producer-pass",
        content_type="application/x-www-form-urlencoded",
        headers={"X-CSRF-Token": "\u00e9"},
    )
    assert forged_header.status_code == 400
    before = _csrf(client)
    csrf = _login(client)
    assert csrf != before  # a new session (and CSRF token) at login: no fixation
    page = client.get("/panel/images")
    cookie = client.get_cookie(COOKIE_NAME, path="/panel")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert "gAAAAA" not in page.text  # the Keystone token never reaches a page
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


FORMS = (
    ("/panel/images", ("name", "disk_format", "container_format", "visibility")),
    ("/panel/images/{id}/members", ("member",)),
    ("/panel/images/{id}/members/{value}/delete", ()),
    ("/panel/images/{id}/members/{value}/status", ("status", "back")),
    ("/panel/images/{id}/visibility", ("visibility",)),
    ("/panel/images/{id}/file", ()),
    ("/panel/trainer/reset", ("mode", "scenario")),
    ("/panel/switch", ("username",)),
    ("/panel/login", ("username", "password", "next")),
)


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
def test_hostile_form_values_get_an_answer_not_a_crash(client: FlaskClient, value: str) -> None:
    csrf = _login(client)
    image_id = _image(client, csrf)
    segment = value[:300] or "x"
    for template, fields in FORMS:
        path = template.format(id=image_id, value=segment)
        body = "&".join([f"{name}={value}" for name in fields] + [f"csrf_token={csrf}"])
        answer = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert answer.status_code < 500, (path, answer.status_code)
        location = answer.headers.get("Location", "")
        assert not location or location.startswith("/panel/"), location
        if path in ("/panel/switch", "/panel/login"):
            csrf = _login(client)
    for path in (
        f"/panel/images?tab={value[:300]}",
        f"/panel/images/{segment}",
        f"/panel/images/{segment}/download",
        f"/panel/trainer/log?user={value[:300]}",
        f"/panel/login?next={value[:300]}",
    ):
        answer = client.get(path)
        assert answer.status_code < 500, (path, answer.status_code)
        assert "<script>alert(1)</script>" not in answer.text


def test_pages_escape_what_users_typed(client: FlaskClient) -> None:
    csrf = _login(client)
    answer = client.post(
        "/panel/images",
        data={
            "name": '"><script>alert(1)</script>',
            "disk_format": "raw",
            "container_format": "bare",
            "csrf_token": csrf,
        },
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "<script>alert(1)</script>" not in answer.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_next_after_login_stays_in_the_panel(client: FlaskClient) -> None:
    for target in ("https://evil.example/", "//evil.example/panel/", "/v2/images", "/panel/images"):
        csrf = _csrf(client)
        answer = client.post(
            "/panel/login",
            data={
                "username": "consumer",
                "password": "consumer-pass",
                "next": target,
                "csrf_token": csrf,
            },
        )
        expected = target if target == "/panel/images" else "/panel/images"
        assert answer.headers["Location"] == expected
        client.post("/panel/logout", data={"csrf_token": _csrf(client, "/panel/images")})


def test_upload_takes_a_form_file_or_a_raw_body_only(client: FlaskClient) -> None:
    csrf = _login(client)
    image_id = _image(client, csrf)
    answer = client.post(
        f"/panel/images/{image_id}/file",
        data={"csrf_token": csrf, "file": "not a file"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Choose a file to upload." in answer.text
    answer = client.post(
        f"/panel/images/{image_id}/file",
        data=f"csrf_token={csrf}",
        content_type="application/x-www-form-urlencoded",
        follow_redirects=True,
    )
    assert "415 Unsupported Media Type" in answer.text
    answer = client.post(
        f"/panel/images/{image_id}/file",
        data=b"abc",
        headers={"X-CSRF-Token": csrf},
        content_type="application/octet-stream",
    )
    assert answer.status_code == 204  # the script reloads the page, which says how it went
    assert "Data uploaded" in client.get(f"/panel/images/{image_id}").text
    download = client.get(f"/panel/images/{image_id}/download")
    assert download.data == b"abc"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{image_id}.raw"'


def _shares_table(page: str) -> str:
    return page.split('id="shares-table"', 1)[1].split("</table>", 1)[0]


def test_trainer_load_asks_first_and_is_for_admins_only(client: FlaskClient) -> None:
    csrf = _login(client, "producer")
    kept = _image(client, csrf)
    refused = client.post(
        "/panel/trainer/reset",
        data={"mode": "reset", "confirm": "yes", "csrf_token": csrf},
    )
    assert refused.status_code == 403
    assert "for administrators only" in refused.text
    assert kept in client.get("/panel/images?tab=mine").text  # nothing was reset

    csrf = _login(client, "admin")
    asked = client.post(
        "/panel/trainer/reset",
        data={"mode": "load", "scenario": "sharing-101", "csrf_token": csrf},
    )
    assert asked.status_code == 200 and "Load a scenario?" in asked.text
    assert "glance-emulator load sharing-101 --url URL" in asked.text
    assert "golden-base" not in _shares_table(client.get("/panel/trainer").text)
    done = client.post(
        "/panel/trainer/reset",
        data={"mode": "load", "scenario": "sharing-101", "confirm": "yes", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "Loaded sharing-101." in done.text and "golden-base" in _shares_table(done.text)
    unknown = client.post(
        "/panel/trainer/reset",
        data={"mode": "reset", "scenario": "nope", "csrf_token": csrf},
    )
    assert unknown.status_code == 400 and "no packaged scenario named" in unknown.text


def test_answer_an_offer_by_image_id(client: FlaskClient, users: object) -> None:
    csrf = _login(client, "producer")
    image_id = _image(client, csrf)
    consumer = users.project("consumer")  # type: ignore[attr-defined]
    added = client.post(
        f"/panel/images/{image_id}/members",
        data={"member": consumer, "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "added as a member" in added.text

    csrf = _login(client, "consumer")
    unknown = client.post(
        "/panel/answer",
        data={"image_id": "nope", "status": "accepted", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "404 Not Found" in unknown.text
    done = client.post(
        "/panel/answer",
        data={"image_id": image_id, "status": "accepted", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert f"Your membership of image {image_id} is now accepted." in done.text
    assert f'data-image-id="{image_id}"' in done.text  # now under "shared with me"


def test_an_expired_token_ends_the_session_with_a_message(
    client: FlaskClient, users: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.core import clock

    csrf = _login(client, "consumer")
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + dt.timedelta(hours=2))
    answer = client.post(
        "/panel/images", data={"name": "late", "csrf_token": csrf}, follow_redirects=True
    )
    assert "Your session has ended" in answer.text
    assert 'name="password"' in answer.text  # the login form
    assert 'name="next" value=""' in answer.text  # a form's target is no page to return to
    monkeypatch.setattr(clock, "now", real_now)
    listed = client.get("/v2/images", headers=users.headers("consumer"))  # type: ignore[attr-defined]
    assert [i["name"] for i in listed.get_json()["images"]] == []  # nothing was created


def test_deactivate_reactivate_visibility_and_delete(client: FlaskClient, users: object) -> None:
    csrf = _login(client, "producer")
    image_id = _image(client, csrf)
    client.post(
        f"/panel/images/{image_id}/file",
        data=b"data",
        headers={"X-CSRF-Token": csrf},
        content_type="application/octet-stream",
    )
    consumer = users.headers("consumer")  # type: ignore[attr-defined]

    def post(action: str, **form: str) -> str:
        answer = client.post(
            f"/panel/images/{image_id}/{action}",
            data={**form, "csrf_token": csrf},
            follow_redirects=True,
        )
        return answer.text

    assert "Image deactivated." in post("deactivate")
    page = client.get(f"/panel/images/{image_id}").text
    assert 'id="attr-status">deactivated<' in page and "openstack image set --activate" in page
    assert "Image reactivated." in post("reactivate")
    refused = post("visibility", visibility="public")  # Glance: publicize_image is admin's
    assert "Refused (403 Forbidden)" in refused and "Visibility is now" not in refused
    assert "Visibility is now community." in post("visibility", visibility="community")
    assert client.get(f"/v2/images/{image_id}", headers=consumer).status_code == 200
    assert "Image deleted." in post("delete")
    assert client.get(f"/v2/images/{image_id}", headers=consumer).status_code == 404
    assert client.get(f"/panel/images/{image_id}").status_code == 404


def test_a_member_answers_from_the_image_page(client: FlaskClient, users: object) -> None:
    csrf = _login(client, "producer")
    image_id = _image(client, csrf)
    consumer = users.project("consumer")  # type: ignore[attr-defined]
    client.post(f"/panel/images/{image_id}/members", data={"member": consumer, "csrf_token": csrf})

    csrf = _login(client, "consumer")
    page = client.get(f"/panel/images/{image_id}").text
    assert 'id="my-status">pending<' in page and "openstack image set --accept" in page
    for status in ("rejected", "pending", "accepted"):
        answer = client.post(
            f"/panel/images/{image_id}/members/{consumer}/status",
            data={"status": status, "csrf_token": csrf},
            follow_redirects=True,
        )
        assert f'id="my-status">{status}<' in answer.text
    members = client.get(f"/v2/images/{image_id}/members", headers=users.headers("consumer"))  # type: ignore[attr-defined]
    assert [m["status"] for m in members.get_json()["members"]] == ["accepted"]
    bad = client.post(
        f"/panel/images/{image_id}/members/{consumer}/status",
        data={"status": "maybe", "csrf_token": csrf},
        follow_redirects=True,
    )
    assert "Status must be &#34;pending&#34;, &#34;accepted&#34; or &#34;rejected&#34;." in bad.text
