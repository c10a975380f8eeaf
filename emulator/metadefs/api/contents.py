"""Objects, properties and tags of a namespace (glance/api/v2/metadef_objects.py,
metadef_properties.py, metadef_tags.py)."""

from __future__ import annotations

from flask import Blueprint, Response, request

from emulator.core.http import bodies
from emulator.core.http.render import json_response, no_content
from emulator.core.http.request_scope import unit_of_work
from emulator.metadefs.api.views import object_document, property_document, tag_document
from emulator.metadefs.services import contents as service

bp = Blueprint("metadef_contents", __name__)
NS = "/v2/metadefs/namespaces/<namespace>"
_TRUE = {"1", "t", "true", "on", "y", "yes"}


# --- objects -------------------------------------------------------------------------------


@bp.get(f"{NS}/objects")
def list_objects(namespace: str) -> Response:
    found = service.list_objects(unit_of_work(), namespace)
    return json_response(
        {
            "objects": [object_document(namespace, o) for o in found],
            # Glance writes this one without the leading slash.
            "schema": "v2/schemas/metadefs/objects",
        }
    )


@bp.post(f"{NS}/objects")
def create_object(namespace: str) -> Response:
    obj = service.create_object(unit_of_work(), namespace, bodies.json_body())
    return json_response(object_document(namespace, obj), status=201)


@bp.get(f"{NS}/objects/<object_name>")
def show_object(namespace: str, object_name: str) -> Response:
    bodies.refuse_body()
    obj = service.show_object(unit_of_work(), namespace, object_name)
    return json_response(object_document(namespace, obj))


@bp.put(f"{NS}/objects/<object_name>")
def update_object(namespace: str, object_name: str) -> Response:
    obj = service.update_object(unit_of_work(), namespace, object_name, bodies.json_body())
    return json_response(object_document(namespace, obj))


@bp.delete(f"{NS}/objects/<object_name>")
def delete_object(namespace: str, object_name: str) -> Response:
    bodies.refuse_body()
    service.delete_object(unit_of_work(), namespace, object_name)
    return no_content()


# --- properties --------------------------------------------------------------------------------


@bp.get(f"{NS}/properties")
def list_properties(namespace: str) -> Response:
    return json_response({"properties": service.list_properties(unit_of_work(), namespace)})


@bp.post(f"{NS}/properties")
def create_property(namespace: str) -> Response:
    prop = service.create_property(unit_of_work(), namespace, bodies.json_body())
    return json_response(property_document(prop), status=201)


@bp.get(f"{NS}/properties/<property_name>")
def show_property(namespace: str, property_name: str) -> Response:
    resource_type = request.args.get("resource_type")
    prop = service.show_property(unit_of_work(), namespace, property_name, resource_type)
    return json_response(property_document(prop))


@bp.put(f"{NS}/properties/<property_name>")
def update_property(namespace: str, property_name: str) -> Response:
    prop = service.update_property(unit_of_work(), namespace, property_name, bodies.json_body())
    return json_response(property_document(prop))


@bp.delete(f"{NS}/properties/<property_name>")
def delete_property(namespace: str, property_name: str) -> Response:
    service.delete_property(unit_of_work(), namespace, property_name)
    return no_content()


# --- tags ------------------------------------------------------------------------------------


@bp.get(f"{NS}/tags")
def list_tags(namespace: str) -> Response:
    params = {key: value for key, value in request.args.items(multi=True)}
    found = service.list_tags(unit_of_work(), namespace, params)
    return json_response({"tags": [{"name": tag.name} for tag in found]})


@bp.post(f"{NS}/tags")
def create_tags(namespace: str) -> Response:
    # oslo strutils.bool_from_string: anything but a truthy word is false.
    append = (request.headers.get("X-Openstack-Append") or "").strip().lower() in _TRUE
    names = service.create_tags(unit_of_work(), namespace, bodies.json_body(), append)
    return json_response({"tags": [{"name": name} for name in names]}, status=201)


@bp.post(f"{NS}/tags/<tag_name>")
def create_tag(namespace: str, tag_name: str) -> Response:
    bodies.refuse_body()
    tag = service.create_tag(unit_of_work(), namespace, tag_name)
    return json_response(tag_document(tag), status=201)


@bp.get(f"{NS}/tags/<tag_name>")
def show_tag(namespace: str, tag_name: str) -> Response:
    bodies.refuse_body()
    return json_response(tag_document(service.show_tag(unit_of_work(), namespace, tag_name)))


@bp.put(f"{NS}/tags/<tag_name>")
def update_tag(namespace: str, tag_name: str) -> Response:
    tag = service.update_tag(unit_of_work(), namespace, tag_name, bodies.json_body())
    return json_response(tag_document(tag))


@bp.delete(f"{NS}/tags/<tag_name>")
def delete_tag(namespace: str, tag_name: str) -> Response:
    bodies.refuse_body()
    service.delete_tag(unit_of_work(), namespace, tag_name)
    return no_content()
