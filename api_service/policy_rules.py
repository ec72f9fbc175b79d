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
]


def list_rules():
    """Every rule with its default, for the Enforcer and oslopolicy-sample-generator."""
    return base_rules + image_rules
