"""openstacksdk connections to a no-auth Glimpse, the way the client tests drive it."""

import openstack.connection
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from tests.functional import daemons


def connection(base_url, project=None):
    """A Connection whose image endpoint is ``base_url``.

    Under noauth the token is never checked; ``project``, when given, travels as the identity
    headers so the SDK acts as that project (otherwise as the api's default project).
    """
    headers = daemons.project_headers(project) if project else None
    session = ks_session.Session(auth=token_endpoint.Token(base_url, 'x'),
                                 additional_headers=headers)
    return openstack.connection.Connection(session=session, image_endpoint_override=base_url,
                                           image_api_version='2')
