"""Turns the registry's image dict into the image JSON users see."""

import datetime
import re

from api_service.services import locations
from common import image_attributes

# Base attributes always shown as the registry has them, null when unset (upstream's
# serializer list); id, the times, tags and the links are made below.
SHOWN_ATTRIBUTES = tuple(
    a.name for a in image_attributes.ATTRIBUTES
    if a.shown and a.stored and a.name != 'id' and a.type != image_attributes.DATETIME)


# The registry's form (registry_service/image_dicts.py:isotime), UTC, or the same without the
# Z (naive times are taken as UTC), for a year of four digits.
_UTC_TIME = re.compile(r'[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
                       r'(?:\.[0-9]{6})?Z?')


def isotime(value):
    """'2026-11-22T13:12:56.123456Z' (or any ISO-8601 form) -> '2026-11-22T13:12:56Z'."""
    if value is None:
        return None
    if _UTC_TIME.fullmatch(value):
        # Already UTC and in this order: parsed only to refuse an impossible date or time
        # (ValueError, as below), then cut to the second.
        datetime.datetime.fromisoformat(value.rstrip('Z'))
        return value[:19] + 'Z'
    parsed = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if parsed.utcoffset():
        # Not UTC already (the registry sends UTC, ...Z): its fields are moved to UTC.
        parsed = parsed.astimezone(datetime.UTC)
    if parsed.year < 1000:
        # strftime's %Y does not pad such years; isoformat() would.
        return parsed.strftime('%Y-%m-%dT%H:%M:%SZ')
    # Two images' times per image shown, and strftime is slower than isoformat (a list of
    # 20 spent about 60 us in it): YYYY-MM-DDTHH:MM:SS is isoformat's first 19 characters.
    return parsed.isoformat()[:19] + 'Z'


# Internal properties never shown (as upstream): the api worker holding staged data.
HIDDEN_PROPERTIES = frozenset({'os_glance_stage_host'})


def image_href(image_id, sub=''):
    return '/v2/images/%s%s' % (image_id, '/' + sub if sub else '')


def to_json(image, multi_store=False, stores=None):
    """``multi_store``: glance-api runs several stores by id ([DEFAULT] enabled_backends);
    then an image with data in stores shows their ids in ``stores``, comma-joined, the
    highest weight first when ``stores`` (the StoreCatalog) is given (as upstream)."""
    # Extra properties first so no base attribute can be shadowed by one.
    view = {name: value for name, value in (image.get('properties') or {}).items()
            if name not in HIDDEN_PROPERTIES}
    # In SHOWN_ATTRIBUTES' order; a key already there (a property of that name) keeps its
    # place and takes the attribute's value.
    get = image.get
    for key in SHOWN_ATTRIBUTES:
        view[key] = get(key)
    view['id'] = image['id']
    view['created_at'] = isotime(image.get('created_at'))
    view['updated_at'] = isotime(image.get('updated_at'))
    view['tags'] = list(image.get('tags') or [])
    view['self'] = image_href(image['id'])
    view['file'] = image_href(image['id'], 'file')
    view['schema'] = '/v2/schemas/image'
    if multi_store and image.get('stores'):
        ids = stores.by_weight(image['stores']) if stores is not None else image['stores']
        view['stores'] = ','.join(ids)
    return view


def add_locations(view, image_locations, multi_store, show_all, show_direct_url,
                  stores=None):
    """The image's locations in its JSON, as upstream: ``locations`` ([{url, metadata}],
    [] without data) with [DEFAULT] show_multiple_locations, ``direct_url`` (the first
    location's url, left out without data) with show_image_direct_url. In a multi-store
    api with ``stores`` (the StoreCatalog) the locations go highest store weight first."""
    if multi_store and stores is not None:
        image_locations = stores.by_weight(image_locations, lambda loc: loc.get('store_id'))
    if show_all:
        view['locations'] = [locations.public(loc, multi_store) for loc in image_locations]
    if show_direct_url and image_locations:
        view['direct_url'] = image_locations[0]['url']
    return view
