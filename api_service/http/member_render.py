"""Turns the registry's member dicts into the member JSON users see, and reads member bodies."""

from api_service.http import image_render
from api_service.http import schemas
from common import exceptions

MEMBER_SCHEMA_HREF = '/v2/schemas/member'
MEMBERS_SCHEMA_HREF = '/v2/schemas/members'


def to_json(member):
    return {
        'created_at': image_render.isotime(member['created_at']),
        'image_id': member['image_id'],
        'member_id': member['member_id'],
        'schema': MEMBER_SCHEMA_HREF,
        'status': member['status'],
        'updated_at': image_render.isotime(member['updated_at']),
    }


def list_to_json(members):
    return {'members': [to_json(m) for m in members], 'schema': MEMBERS_SCHEMA_HREF}


def parse_create(body):
    """{"member": "<project>"} -> the member id (400 for anything else)."""
    if not isinstance(body, dict) or 'member' not in body:
        raise exceptions.Invalid('Member to be added not specified')
    member_id = body['member']
    if not member_id:
        raise exceptions.Invalid("Member can't be empty")
    if not isinstance(member_id, str):
        raise exceptions.Invalid('Member must be a string (a project id).')
    return member_id


def parse_update(body):
    """{"status": "pending|accepted|rejected"} -> the status (400 for anything else)."""
    if not isinstance(body, dict) or 'status' not in body:
        raise exceptions.Invalid('Status not specified')
    status = body['status']
    if status not in schemas.MEMBER_STATUSES:
        raise exceptions.Invalid('Invalid status: %s; it must be one of %s.'
                                 % (status, ', '.join(schemas.MEMBER_STATUSES)))
    return status
