"""Every metadef route's real answers match api-ref/openapi.yaml: status, headers, media
type and JSON body (``assert_matches_documented``)."""

from __future__ import annotations

from typing import Any

from api_ref_helper import assert_matches_documented
from flask.testing import FlaskClient

NS = "/v2/metadefs/namespaces"
T_NS = "/v2/metadefs/namespaces/{namespace}"


def test_metadef_answers_are_documented(client: FlaskClient, users: Any) -> None:
    admin = users.headers("admin")

    def check(method: str, path: str, template: str, status: int, **kw: Any) -> Any:
        headers = {**admin, **kw.pop("headers", {})}
        response = client.open(path, method=method, headers=headers, **kw)
        assert response.status_code == status, response.get_data(as_text=True)
        return assert_matches_documented(response, method, template)

    body = {
        "namespace": "Doc::NS",
        "visibility": "public",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "d_"}],
        "properties": {"p": {"title": "P", "type": "string"}},
        "objects": [{"name": "o", "properties": {"q": {"title": "Q", "type": "integer"}}}],
        "tags": [{"name": "t"}],
    }
    here = f"{NS}/Doc::NS"
    check("POST", NS, NS, 201, json=body)
    check("POST", NS, NS, 409, json=body)
    check("GET", f"{NS}?limit=2", NS, 200)
    check("GET", f"{NS}?sort_dir=up", NS, 400)
    check("GET", here, T_NS, 200)
    check("GET", f"{here}?resource_type=OS::Glance::Image", T_NS, 200)
    check("GET", f"{NS}/Nope", T_NS, 404)
    check("PUT", here, T_NS, 200, json={"namespace": "Doc::NS", "visibility": "public"})
    check("GET", f"{here}/objects", f"{T_NS}/objects", 200)
    check("POST", f"{here}/objects", f"{T_NS}/objects", 201, json={"name": "o2"})
    check("GET", f"{here}/objects/o2", f"{T_NS}/objects/{{object_name}}", 200)
    check("PUT", f"{here}/objects/o2", f"{T_NS}/objects/{{object_name}}", 200, json={"name": "o3"})
    check("DELETE", f"{here}/objects/o3", f"{T_NS}/objects/{{object_name}}", 204)
    check("GET", f"{here}/properties", f"{T_NS}/properties", 200)
    prop = {"name": "r", "title": "R", "type": "number", "minimum": 1}
    check("POST", f"{here}/properties", f"{T_NS}/properties", 201, json=prop)
    check("GET", f"{here}/properties/r", f"{T_NS}/properties/{{property_name}}", 200)
    check("PUT", f"{here}/properties/r", f"{T_NS}/properties/{{property_name}}", 200, json=prop)
    check("DELETE", f"{here}/properties/r", f"{T_NS}/properties/{{property_name}}", 204)
    check("POST", f"{here}/tags/u", f"{T_NS}/tags/{{tag_name}}", 201)
    check("GET", f"{here}/tags/u", f"{T_NS}/tags/{{tag_name}}", 200)
    check("PUT", f"{here}/tags/u", f"{T_NS}/tags/{{tag_name}}", 200, json={"name": "v"})
    check("DELETE", f"{here}/tags/v", f"{T_NS}/tags/{{tag_name}}", 204)
    tags = {"tags": [{"name": "a"}, {"name": "b"}]}
    check("POST", f"{here}/tags", f"{T_NS}/tags", 201, json=tags)
    check("GET", f"{here}/tags", f"{T_NS}/tags", 200)
    check("GET", "/v2/metadefs/resource_types", "/v2/metadefs/resource_types", 200)
    check("GET", f"{here}/resource_types", f"{T_NS}/resource_types", 200)
    assoc = {"name": "OS::Nova::Flavor", "prefix": "hw:", "properties_target": "x"}
    check("POST", f"{here}/resource_types", f"{T_NS}/resource_types", 201, json=assoc)
    template = f"{T_NS}/resource_types/{{resource_type}}"
    check("DELETE", f"{here}/resource_types/OS::Nova::Flavor", template, 204)
    for kind in ("objects", "properties", "tags"):
        check("DELETE", f"{here}/{kind}", f"{T_NS}/{kind}", 204)
    check("DELETE", f"{NS}/OS::Compute::Watchdog", T_NS, 403)
    check("DELETE", here, T_NS, 204)
