"""The policy rules glance-api enforces: upstream Glance's names, defaults and targets.

A target is what the rule's ``%(...)s`` refer to (api_service/policy.py builds them):
``project_id`` and ``owner`` are the image's owner (the caller's project for a list or a
new image), ``visibility`` is the image's visibility, and ``member_id`` is the caller's
project when the caller is a member of the (shared) image. Operators override any rule in
``[oslo_policy] policy_file``.
"""

from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_READER = 'role:reader and project_id:%(project_id)s'
IMAGE_MEMBER = 'project_id:%(member_id)s'
# Images anyone may see once the registry has shown them to the caller.
VISIBLE_TO_OTHERS = ("'community':%(visibility)s or 'public':%(visibility)s "
                     "or 'shared':%(visibility)s")

ADMIN_OR_PROJECT_MEMBER = f'{ADMIN} or ({PROJECT_MEMBER})'
ADMIN_OR_PROJECT_READER = f'{ADMIN} or ({PROJECT_READER})'
ADMIN_OR_MEMBER_CREATING_OWN = f'{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)'
ADMIN_OR_READER_OF_VISIBLE = (f'{ADMIN} or (role:reader and (project_id:%(project_id)s or '
                              f'{IMAGE_MEMBER} or {VISIBLE_TO_OTHERS}))')
ADMIN_OR_SHARED_MEMBER = f'{ADMIN} or (role:member and {IMAGE_MEMBER})'
ADMIN_OR_READER_OR_SHARED_MEMBER = (f'{ADMIN} or (role:reader and (project_id:%(project_id)s '
                                    f'or {IMAGE_MEMBER}))')

SCOPE = ['project']

base_rules = [
    policy.RuleDefault(
        'default', '',
        description='Used for any rule that is neither in the policy file nor defined here.'),
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        description='Who is an administrator: the request context gets is_admin=True, '
                    'which the registry reads to show and change every project\'s images.'),
    policy.RuleDefault(
        'service_api', 'role:service or role:admin',
        description='Calls made by other OpenStack services with a service token.'),
]


def _image_rule(name, check_str, description, method, path):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description, scope_types=SCOPE,
        operations=[{'method': method, 'path': path}])


IMAGE = '/v2/images/{image_id}'
MEMBER = IMAGE + '/members/{member_id}'

image_rules = [
    _image_rule('add_image', ADMIN_OR_MEMBER_CREATING_OWN, 'Create an image.',
                'POST', '/v2/images'),
    _image_rule('delete_image', ADMIN_OR_PROJECT_MEMBER, 'Delete an image.', 'DELETE', IMAGE),
    _image_rule('get_image', ADMIN_OR_READER_OF_VISIBLE,
                'Show an image. A refusal answers 404, as for an image that does not exist; '
                'every call on an existing image checks it first.', 'GET', IMAGE),
    _image_rule('get_images', ADMIN_OR_PROJECT_READER, 'List images.', 'GET', '/v2/images'),
    _image_rule('modify_image', ADMIN_OR_PROJECT_MEMBER,
                'Update an image, including adding and removing tags.', 'PATCH', IMAGE),
    _image_rule('publicize_image', ADMIN,
                'Make an image public (create or update with visibility=public).',
                'PATCH', IMAGE),
    _image_rule('communitize_image', ADMIN_OR_PROJECT_MEMBER,
                'Make an image community (create or update with visibility=community).',
                'PATCH', IMAGE),
    # Upstream asks for role:member here; Glimpse lets project readers download too, as a
    # reader is meant to read (and as this service's acceptance asks). Operators who want
    # upstream's rule set it in policy.yaml.
    _image_rule('download_image', ADMIN_OR_READER_OF_VISIBLE,
                "Download an image's data. Unlike upstream (role:member), readers may.",
                'GET', IMAGE + '/file'),
    _image_rule('upload_image', ADMIN_OR_PROJECT_MEMBER, "Upload an image's data.",
                'PUT', IMAGE + '/file'),
    _image_rule('add_member', ADMIN_OR_PROJECT_MEMBER, 'Share an image with a project.',
                'POST', IMAGE + '/members'),
    _image_rule('delete_member', ADMIN_OR_PROJECT_MEMBER, 'Stop sharing an image with a '
                'project.', 'DELETE', MEMBER),
    _image_rule('get_member', ADMIN_OR_READER_OR_SHARED_MEMBER, 'Show an image member.',
                'GET', MEMBER),
    _image_rule('get_members', ADMIN_OR_READER_OR_SHARED_MEMBER, "List an image's members.",
                'GET', IMAGE + '/members'),
    _image_rule('modify_member', ADMIN_OR_SHARED_MEMBER,
                'Accept or reject an image shared with your project.', 'PUT', MEMBER),
    _image_rule('deactivate', ADMIN_OR_PROJECT_MEMBER, 'Deactivate an image.',
                'POST', IMAGE + '/actions/deactivate'),
    _image_rule('reactivate', ADMIN_OR_PROJECT_MEMBER, 'Reactivate an image.',
                'POST', IMAGE + '/actions/reactivate'),
    _image_rule('copy_image', ADMIN, 'Copy an active image to more stores (import method '
                'copy-image).', 'POST', IMAGE + '/import'),
]


# -- the metadata definitions catalog: upstream's names and defaults (writes admin-only) ------

METADEF_ADMIN = 'rule:metadef_admin'
# A namespace's target: project_id and owner are its owner, visibility its visibility.
ADMIN_OR_READER_OF_NAMESPACE = (f"{ADMIN} or (role:reader and (project_id:%(project_id)s or "
                                f"'public':%(visibility)s))")
NAMESPACES = '/v2/metadefs/namespaces'
NAMESPACE = NAMESPACES + '/{namespace_name}'

metadef_base_rules = [
    policy.RuleDefault('metadef_default', '',
                       description='Kept for policy files that refer to it.'),
    policy.RuleDefault('metadef_admin', ADMIN,
                       description='Who may change the metadata definitions catalog.'),
]


def _metadef_rule(name, check_str, description, method, path):
    return _image_rule(name, check_str, description, method, path)


metadef_rules = [
    _metadef_rule('get_metadef_namespace', ADMIN_OR_READER_OF_NAMESPACE,
                  'Show a metadata definition namespace (a refusal answers 404).',
                  'GET', NAMESPACE),
    _metadef_rule('get_metadef_namespaces', ADMIN_OR_PROJECT_READER,
                  'List metadata definition namespaces.', 'GET', NAMESPACES),
    _metadef_rule('modify_metadef_namespace', METADEF_ADMIN,
                  'Update a metadata definition namespace.', 'PUT', NAMESPACE),
    _metadef_rule('add_metadef_namespace', METADEF_ADMIN,
                  'Create a metadata definition namespace.', 'POST', NAMESPACES),
    _metadef_rule('delete_metadef_namespace', METADEF_ADMIN,
                  'Delete a metadata definition namespace, or all its objects, properties '
                  'or tags.', 'DELETE', NAMESPACE),
    _metadef_rule('get_metadef_object', ADMIN_OR_READER_OF_NAMESPACE,
                  'Show a metadata definition object.', 'GET',
                  NAMESPACE + '/objects/{object_name}'),
    _metadef_rule('get_metadef_objects', ADMIN_OR_READER_OF_NAMESPACE,
                  "List a namespace's metadata definition objects.", 'GET',
                  NAMESPACE + '/objects'),
    _metadef_rule('modify_metadef_object', METADEF_ADMIN,
                  'Update a metadata definition object.', 'PUT',
                  NAMESPACE + '/objects/{object_name}'),
    _metadef_rule('add_metadef_object', METADEF_ADMIN, 'Create a metadata definition object.',
                  'POST', NAMESPACE + '/objects'),
    _metadef_rule('delete_metadef_object', METADEF_ADMIN,
                  'Delete a metadata definition object.', 'DELETE',
                  NAMESPACE + '/objects/{object_name}'),
    _metadef_rule('list_metadef_resource_types', ADMIN_OR_READER_OF_NAMESPACE,
                  'List metadata definition resource types.', 'GET',
                  '/v2/metadefs/resource_types'),
    _metadef_rule('get_metadef_resource_type', ADMIN_OR_READER_OF_NAMESPACE,
                  "List a namespace's resource type associations.", 'GET',
                  NAMESPACE + '/resource_types'),
    _metadef_rule('add_metadef_resource_type_association', METADEF_ADMIN,
                  'Associate a namespace with a resource type.', 'POST',
                  NAMESPACE + '/resource_types'),
    _metadef_rule('remove_metadef_resource_type_association', METADEF_ADMIN,
                  'Remove a resource type association of a namespace.', 'DELETE',
                  NAMESPACE + '/resource_types/{name}'),
    _metadef_rule('get_metadef_property', ADMIN_OR_READER_OF_NAMESPACE,
                  'Show a metadata definition property.', 'GET',
                  NAMESPACE + '/properties/{property_name}'),
    _metadef_rule('get_metadef_properties', ADMIN_OR_READER_OF_NAMESPACE,
                  "List a namespace's metadata definition properties.", 'GET',
                  NAMESPACE + '/properties'),
    _metadef_rule('modify_metadef_property', METADEF_ADMIN,
                  'Update a metadata definition property.', 'PUT',
                  NAMESPACE + '/properties/{property_name}'),
    _metadef_rule('add_metadef_property', METADEF_ADMIN,
                  'Create a metadata definition property.', 'POST', NAMESPACE + '/properties'),
    _metadef_rule('remove_metadef_property', METADEF_ADMIN,
                  'Delete a metadata definition property.', 'DELETE',
                  NAMESPACE + '/properties/{property_name}'),
    _metadef_rule('get_metadef_tag', ADMIN_OR_READER_OF_NAMESPACE,
                  'Show a metadata definition tag.', 'GET', NAMESPACE + '/tags/{tag_name}'),
    _metadef_rule('get_metadef_tags', ADMIN_OR_READER_OF_NAMESPACE,
                  "List a namespace's metadata definition tags.", 'GET', NAMESPACE + '/tags'),
    _metadef_rule('modify_metadef_tag', METADEF_ADMIN, 'Rename a metadata definition tag.',
                  'PUT', NAMESPACE + '/tags/{tag_name}'),
    _metadef_rule('add_metadef_tag', METADEF_ADMIN, 'Create a metadata definition tag.',
                  'POST', NAMESPACE + '/tags/{tag_name}'),
    _metadef_rule('add_metadef_tags', METADEF_ADMIN,
                  'Create metadata definition tags (replacing or, with X-Openstack-Append, '
                  'adding to the existing ones).', 'POST', NAMESPACE + '/tags'),
    _metadef_rule('delete_metadef_tag', METADEF_ADMIN, 'Delete a metadata definition tag.',
                  'DELETE', NAMESPACE + '/tags/{tag_name}'),
    _metadef_rule('delete_metadef_tags', METADEF_ADMIN,
                  "Delete all of a namespace's metadata definition tags.", 'DELETE',
                  NAMESPACE + '/tags'),
]


# -- the image cache API: upstream's names and defaults (admin only) ---------------------------

CACHE = '/v2/cache'
# Upstream's cache_image, cache_list and cache_delete were manage_image_cache before Xena.
_CACHE_DEPRECATED_REASON = ('The cache API rules have their own defaults (admin only); '
                            'manage_image_cache still grants them until it is removed.')


def _cache_rule(name, description, operations, deprecated=True):
    kwargs = {}
    if deprecated:
        kwargs['deprecated_rule'] = policy.DeprecatedRule(
            name=name, check_str='rule:manage_image_cache',
            deprecated_reason=_CACHE_DEPRECATED_REASON, deprecated_since='X')
    return policy.DocumentedRuleDefault(
        name=name, check_str=ADMIN, description=description, scope_types=SCOPE,
        operations=[{'method': m, 'path': p} for m, p in operations], **kwargs)


cache_rules = [
    policy.RuleDefault('manage_image_cache', ADMIN,
                       description='Manage the image cache (what the cache_* rules fell back '
                                   'to before they had their own defaults).',
                       scope_types=SCOPE),
    _cache_rule('cache_image', 'Queue an image for caching on this node.',
                [('PUT', CACHE + '/{image_id}')]),
    _cache_rule('cache_list', 'List the images cached and queued on this node.',
                [('GET', CACHE)]),
    _cache_rule('cache_delete', 'Remove images from the cache and its queue.',
                [('DELETE', CACHE), ('DELETE', CACHE + '/{image_id}')]),
    _cache_rule('cache_clean', 'Remove stalled and invalid cache entries.',
                [('POST', CACHE + '/clean')], deprecated=False),
    _cache_rule('cache_prune', 'Prune the cache down to image_cache_max_size.',
                [('POST', CACHE + '/prune')], deprecated=False),
    _cache_rule('list_cached_nodes', 'List the nodes whose cache holds an image.',
                [('GET', CACHE + '/nodes/{image_id}')], deprecated=False),
]


# -- the stores: upstream's names and defaults ---------------------------------------------------

SERVICE = 'rule:service_api'

store_rules = [
    _image_rule('get_image_location', ADMIN_OR_PROJECT_READER,
                "Read the locations of an image's data (checked before removing one).",
                'DELETE', '/v2/stores/{store_id}/{image_id}'),
    _image_rule('delete_image_location', ADMIN,
                "Remove one location of an image's data: DELETE "
                "/v2/stores/{store_id}/{image_id} (never its last one).",
                'DELETE', '/v2/stores/{store_id}/{image_id}'),
    _image_rule('stores_info_detail', f'{ADMIN} or {SERVICE}',
                'Show the stores with their type, weight and properties.',
                'GET', '/v2/info/stores/detail'),
]

# -- image locations: upstream's names and defaults ----------------------------------------------

SERVICE_OR_OWNER_MEMBER = f'{SERVICE} or ({PROJECT_MEMBER} and project_id:%(owner)s)'

location_rules = [
    _image_rule('set_image_location', ADMIN_OR_PROJECT_MEMBER,
                'Add or replace the locations of an image (PATCH /locations, with '
                '[DEFAULT] show_multiple_locations).', 'PATCH', '/v2/images/{image_id}'),
    _image_rule('add_image_location', SERVICE_OR_OWNER_MEMBER,
                "Add a location to a queued image: POST /v2/images/{image_id}/locations "
                "(an ordinary user only an http location, with the http store).",
                'POST', '/v2/images/{image_id}/locations'),
    _image_rule('fetch_image_location', SERVICE,
                'List the locations of an image: GET /v2/images/{image_id}/locations.',
                'GET', '/v2/images/{image_id}/locations'),
]


# -- the tasks API: upstream's names and defaults -------------------------------------------

TASK = '/v2/tasks/{task_id}'


def _task_rule(name, description, operations):
    # Upstream deprecated these for tasks_api_access, which every tasks API call checks
    # first; they are still checked after it.
    return policy.DocumentedRuleDefault(
        name=name, check_str='rule:default', description=description, scope_types=SCOPE,
        operations=[{'method': m, 'path': p} for m, p in operations])


task_rules = [
    _task_rule('get_task', 'Show a task.', [('GET', TASK)]),
    _task_rule('get_tasks', 'List tasks.', [('GET', '/v2/tasks')]),
    _task_rule('add_task', 'Create a task.', [('POST', '/v2/tasks')]),
    policy.DocumentedRuleDefault(
        name='modify_task', check_str='rule:default', scope_types=SCOPE,
        description='Not used (tasks cannot be changed nor deleted through the API).',
        operations=[{'method': 'DELETE', 'path': TASK}], deprecated_for_removal=True,
        deprecated_reason='This rule has never been checked.', deprecated_since='W'),
    policy.DocumentedRuleDefault(
        name='tasks_api_access', check_str=ADMIN, scope_types=SCOPE,
        description='Any call of the tasks API (checked before the call\'s own rule).',
        operations=[{'method': 'GET', 'path': TASK}, {'method': 'GET', 'path': '/v2/tasks'},
                    {'method': 'POST', 'path': '/v2/tasks'},
                    {'method': 'DELETE', 'path': TASK}]),
]


def list_rules():
    """Every rule with its default, for the Enforcer and oslopolicy-sample-generator."""
    return (base_rules + image_rules + metadef_base_rules + metadef_rules + cache_rules
            + store_rules + location_rules + task_rules)
