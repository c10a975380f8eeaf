"""openstacksdk given the image URL plus ``/v3`` as its auth URL is told where the auth URL
is (keystoneauth used to say only "Cannot use v2 authentication with domain scope")."""

from __future__ import annotations

import warnings

import openstack
import pytest
from keystoneauth1 import exceptions as ks_exceptions

from tests.contract.conftest import LiveServer


def test_sdk_is_told_the_auth_url(live_server: LiveServer) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        conn = openstack.connect(
            auth_url=live_server.base_url + "/v3",
            username="producer",
            password="producer-pass",
            project_name="producer",
            user_domain_name="Default",
            project_domain_name="Default",
            load_yaml_config=False,
            load_envvars=False,
        )
        # keystoneauth's own NotFound, with the message of the body.
        with pytest.raises(ks_exceptions.NotFound) as failure:
            list(conn.image.images())
    assert f"the auth URL) is at {live_server.identity_v3_url}" in str(failure.value)
