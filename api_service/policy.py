"""oslo.policy in glance-api: the enforcer, the targets, and the checks every view makes.

Views call these functions in a visible order before the registry call that acts:

* a call on an existing image first reads it (the registry answers 404 for an image the
  caller may not see), then checks ``get_image`` (a refusal is a 404 too, so nobody learns
  an image exists), then the action's rule (a refusal is a 403);
* a list or a new image is checked against the caller's own project.

The registry still applies ownership and visibility from the request context, whatever the
policy file says. So a policy file can refuse anything, but it can allow only what the
registry allows too: it decides roles (who may publicize, download, deactivate ...), not
who owns what.
"""

import ast
import inspect
import re
import threading
import time

from oslo_config import cfg
from oslo_policy import _checks as oslo_checks
from oslo_policy import policy as oslo_policy

from api_service import policy_rules
from common import exceptions
from common import image_attributes

# Where a rule lives in the policy file if the operator did not say otherwise.
DEFAULT_POLICY_FILE = 'policy.yaml'
# How often the policy file and the policy.d directories are looked at for changes.
RELOAD_CHECK_SECONDS = 1.0
# Every visibility an image can have (the targets decided_for_own_images probes).
_VISIBILITIES = image_attributes.VISIBILITIES


class _Enforcer(oslo_policy.Enforcer):
    """oslo.policy's Enforcer, looking for policy file changes at most once a second.

    Why: the stock Enforcer searches every configuration directory for the policy file and
    each policy.d directory on every check, and a request makes several checks; profiling
    the metadata path showed these stat() calls as about 8 % of the api's CPU time. An edited
    policy file still takes effect within RELOAD_CHECK_SECONDS.

    ``facts`` holds what was worked out from the rules as loaded (reads_visibility); it is
    emptied whenever the rules are (re)loaded.
    """

    _next_check = None

    def __init__(self, *args, **kwargs):
        self.facts = {}
        super().__init__(*args, **kwargs)

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or self._next_check is None or now >= self._next_check:
            super().load_rules(force_reload)
            self.facts = {}
            self._next_check = now + RELOAD_CHECK_SECONDS


# -- rule evaluation without repeating per-class and per-rule work at every node ---------------
#
# Two things oslo.policy redoes at every node of a rule tree, every time, that profiling the
# metadata path showed as most of the api's own CPU time for a PATCH or DELETE (each probes
# eight rule/target pairs, decided_for_own_images), and a good part of every other request's:
#
# * oslo_policy._checks._check calls inspect.getfullargspec on the node's __call__ to learn
#   whether the check takes the rule's name (newer checks) or not (legacy ones). The answer
#   depends only on the check's class: _evaluate_check asks once per class, then calls the
#   check exactly as oslo.policy would.
# * a generic check (project_id:%(project_id)s, 'public':%(visibility)s) first tries its left
#   side as a Python literal with ast.literal_eval, which parses and compiles it (about 10 us;
#   most fail, being credential names). The outcome depends only on that text, which comes
#   from the rules: _LiteralEvalOnce gives _checks the same ast module with the outcome
#   remembered per text.

# Check class -> whether its __call__ takes current_rule (more than 4 arguments, self
# included, as oslo.policy counts them).
_TAKES_CURRENT_RULE = {}
_EVALUATOR_LOCK = threading.Lock()
_CHECK_PARAMETERS = ['rule', 'target', 'creds', 'enforcer', 'current_rule']


def _takes_current_rule(call):
    return len(inspect.getfullargspec(call).args) > 4


def _evaluate_check(rule, target, creds, enforcer, current_rule):
    """oslo_policy._checks._check's contract, with the inspection remembered by class."""
    if '__call__' in getattr(rule, '__dict__', ()):
        # An instance with a __call__ of its own: asked every time, as oslo.policy does.
        takes = _takes_current_rule(rule.__call__)
    else:
        cls = type(rule)
        takes = _TAKES_CURRENT_RULE.get(cls)
        if takes is None:
            takes = _TAKES_CURRENT_RULE[cls] = _takes_current_rule(rule.__call__)
    if takes:
        return rule(target, creds, enforcer, current_rule)
    return rule(target, creds, enforcer)


class _LiteralEvalOnce:
    """The ast module, but literal_eval remembers what each text gave: its value, or the
    ValueError it raised (re-raised anew, same message). Other outcomes (SyntaxError ...)
    are not remembered. A check only compares str() of the value, so sharing it is safe."""

    # The left sides come from the policy rules: a few dozen texts. Past this many, new texts
    # are evaluated every time (a bound, should some caller pass arbitrary text).
    MAX_REMEMBERED = 1024

    def __init__(self, module):
        self._module = module
        self._outcomes = {}

    def __getattr__(self, name):
        return getattr(self._module, name)

    def literal_eval(self, node_or_string):
        if type(node_or_string) is not str:
            return self._module.literal_eval(node_or_string)
        outcome = self._outcomes.get(node_or_string)
        if outcome is None:
            try:
                outcome = (True, self._module.literal_eval(node_or_string))
            except ValueError as exc:
                outcome = (False, exc.args)
            if len(self._outcomes) < self.MAX_REMEMBERED:
                self._outcomes[node_or_string] = outcome
        is_value, result = outcome
        if is_value:
            return result
        raise ValueError(*result)


def install_check_evaluator():
    """Make oslo.policy evaluate rule trees with _evaluate_check and _LiteralEvalOnce;
    idempotent. Only over the _check this was written against (same parameters) and the
    ast module itself: anything else is left in place."""
    with _EVALUATOR_LOCK:
        current = getattr(oslo_checks, '_check', None)
        if (current is not None and current is not _evaluate_check
                and inspect.getfullargspec(current).args == _CHECK_PARAMETERS):
            oslo_checks._check = _evaluate_check
        if getattr(oslo_checks, 'ast', None) is ast:
            oslo_checks.ast = _LiteralEvalOnce(ast)


class Policy:
    """One oslo.policy Enforcer on the api's ConfigOpts; reloads the file when it changes."""

    def __init__(self, conf):
        self.enforcer = make_enforcer(conf)

    def allowed(self, ctx, rule, target, creds=None):
        """``creds``: creds(ctx), when several rules are checked for the same caller."""
        try:
            return self.enforcer.enforce(rule, target, ctx if creds is None else dict(creds))
        except oslo_policy.InvalidScope:
            return False

    @staticmethod
    def creds(ctx):
        """The credentials oslo.policy maps CTX to (to_policy_values() as a dict): made once
        for several checks, as mapping the context is a good part of a simple check."""
        return dict(ctx.to_policy_values())

    def enforce(self, ctx, rule, target):
        """Raise Forbidden (403) unless RULE allows CTX on TARGET."""
        if not self.allowed(ctx, rule, target):
            raise exceptions.Forbidden('You are not authorized to complete %s action.' % rule)

    def is_admin(self, ctx):
        """The ``context_is_admin`` rule: decides the context's is_admin flag."""
        return bool(self.allowed(ctx, 'context_is_admin', {'project_id': ctx.project_id}))


def make_enforcer(conf):
    install_check_evaluator()
    oslo_policy.opts.set_defaults(conf, policy_file=DEFAULT_POLICY_FILE)
    enforcer = _Enforcer(conf)
    enforcer.register_defaults(policy_rules.list_rules())
    return enforcer


def get_enforcer():
    """The ``oslo.policy.enforcer`` entry point (oslopolicy-checker, -policy-generator ...)."""
    conf = cfg.CONF
    try:
        conf([], project='glance')
    except cfg.ArgsAlreadyParsedError:
        pass
    return make_enforcer(conf)


# -- targets ----------------------------------------------------------------------------------

def project_target(ctx):
    """For a list: the rules' project is the caller's own."""
    return {'project_id': ctx.project_id, 'owner': ctx.project_id}


def image_target(image, member_id=None):
    return {'id': image['id'], 'project_id': image['owner'], 'owner': image['owner'],
            'visibility': image['visibility'], 'member_id': member_id}


def _member_of_visible(ctx, image):
    # The registry showed a shared image the caller does not own: the caller is one of its
    # members (or an admin), which is what upstream's image target says in member_id.
    if image['visibility'] == 'shared' and image['owner'] != ctx.project_id:
        return ctx.project_id
    return None


# -- the checks ---------------------------------------------------------------------------------

def _visibility_rule(visibility):
    return {'public': 'publicize_image', 'community': 'communitize_image'}.get(visibility)


def check_create(pol, ctx, values):
    """add_image on the new image (its owner as requested), then the visibility's rule."""
    target = {'project_id': values['owner'], 'owner': values['owner'],
              'visibility': values.get('visibility', 'shared'), 'member_id': None}
    if not pol.allowed(ctx, 'add_image', target):
        if values['owner'] != ctx.project_id:
            raise exceptions.Forbidden("You are not permitted to create images owned by "
                                       "'%s'." % values['owner'])
        raise exceptions.Forbidden('You are not authorized to complete add_image action.')
    rule = _visibility_rule(values.get('visibility'))
    if rule:
        pol.enforce(ctx, rule, target)


def check_list(pol, ctx):
    pol.enforce(ctx, 'get_images', project_target(ctx))


def check_visible(pol, ctx, image):
    """get_image; a refusal looks like a missing image (404)."""
    if not pol.allowed(ctx, 'get_image', image_target(image, _member_of_visible(ctx, image))):
        raise exceptions.ImageNotFound(image_id=image['id'])


def check_image_action(pol, ctx, image, rule):
    """get_image (404), then RULE on the image (403)."""
    check_visible(pol, ctx, image)
    pol.enforce(ctx, rule, image_target(image, _member_of_visible(ctx, image)))


def check_update(pol, ctx, image, changes):
    """modify_image, then publicize/communitize for a visibility change."""
    check_image_action(pol, ctx, image, 'modify_image')
    for change in changes:
        if change['path'] == 'visibility' and change['op'] != 'remove':
            rule = _visibility_rule(change.get('value'))
            if rule:
                pol.enforce(ctx, rule, image_target(image))


# The placeholders of a check's match string that name a target key: %(name)s.
_TARGET_PLACEHOLDER = re.compile(r'%\(([^)]*)\)s')
# Checks whose only use of the target is their match string (``match % target``) or their
# sub-checks; any other check (http:, an extension) may read the whole target.
_COMBINING_CHECKS = (oslo_checks.AndCheck, oslo_checks.OrCheck)
_MATCHING_CHECKS = (oslo_checks.RoleCheck, oslo_checks.GenericCheck)
_CONSTANT_CHECKS = (oslo_checks.TrueCheck, oslo_checks.FalseCheck)


def _loaded_rule(rules, name):
    """The check oslo.policy evaluates for the rule NAME (oslo's Rules fall back on the
    default rule for a name they lack), or None when it has none."""
    try:
        return rules[name]
    except KeyError:
        return None


def _target_keys(rules, check, seen):
    """The target keys CHECK may read, or None when it may read any (or the rules loop)."""
    kind = type(check)
    if kind in _CONSTANT_CHECKS:
        return set()
    if kind in _COMBINING_CHECKS:
        keys = set()
        for sub in check.rules:
            sub_keys = _target_keys(rules, sub, seen)
            if sub_keys is None:
                return None
            keys |= sub_keys
        return keys
    if kind is oslo_checks.NotCheck:
        return _target_keys(rules, check.rule, seen)
    if kind is oslo_checks.RuleCheck:
        if check.match in seen:
            return None
        referred = _loaded_rule(rules, check.match)
        # A rule that does not exist (nor a default) fails closed, whatever the target.
        return set() if referred is None else _target_keys(rules, referred, seen | {check.match})
    if kind in _MATCHING_CHECKS and isinstance(check.match, str):
        # Any other use of % (%s, %d, %%) is left to the full evaluation.
        if '%' in _TARGET_PLACEHOLDER.sub('', check.match):
            return None
        return set(_TARGET_PLACEHOLDER.findall(check.match))
    return None


def reads_visibility(pol, rule):
    """Whether RULE's decision may depend on the target's ``visibility`` (True unless the
    rule, as currently loaded, is made only of oslo.policy's own checks and none of them
    names it)."""
    enforcer = pol.enforcer
    enforcer.load_rules()
    facts = enforcer.facts
    key = ('reads_visibility', rule)
    answer = facts.get(key)
    if answer is None:
        check = _loaded_rule(enforcer.rules, rule)
        keys = None if check is None else _target_keys(enforcer.rules, check, {rule})
        answer = facts[key] = keys is None or 'visibility' in keys
    return answer


def decided_for_own_images(pol, ctx, image_id, rules):
    """True when RULES allow CTX on every image the registry would let CTX change.

    The registry lets a caller who is not an admin change only the images of its own
    project, whatever the policy says. If each rule allows the caller on an image it owns,
    of every visibility, reading the image to build the policy target first would only
    confirm what the registry's answer will say (404 for an image it cannot see, 403 for
    one it does not own): the view may then act in one registry call instead of two. Any
    other outcome - an admin, a rule that depends on the image - leaves the full check.
    """
    if ctx.is_admin:
        return False
    owned = {'id': image_id, 'project_id': ctx.project_id, 'owner': ctx.project_id,
             'member_id': None}
    creds = pol.creds(ctx)
    for rule in rules:
        # A rule that cannot see the visibility decides alike for all four: asked once.
        visibilities = _VISIBILITIES if reads_visibility(pol, rule) else _VISIBILITIES[:1]
        if not all(pol.allowed(ctx, rule, dict(owned, visibility=visibility), creds=creds)
                   for visibility in visibilities):
            return False
    return True


def update_rules(changes):
    """The rules check_update applies on top of get_image for CHANGES."""
    rules = ['get_image', 'modify_image']
    for change in changes:
        if change['path'] == 'visibility' and change['op'] != 'remove':
            rule = _visibility_rule(change.get('value'))
            if rule:
                rules.append(rule)
    return rules


def check_member_action(pol, ctx, image, rule):
    """get_image (404), then RULE (403). As upstream, ``member_id`` is the caller's own
    membership of the image, not the member named in the URL: a member may read (only)
    itself and answer for itself; the registry enforces which member that is."""
    check_image_action(pol, ctx, image, rule)


# -- the metadata definitions catalog -----------------------------------------------------------

def namespace_target(namespace):
    return {'project_id': namespace['owner'], 'owner': namespace['owner'],
            'visibility': namespace['visibility']}


def check_namespace_visible(pol, ctx, namespace):
    """get_metadef_namespace; a refusal looks like a missing namespace (404), as upstream."""
    if not pol.allowed(ctx, 'get_metadef_namespace', namespace_target(namespace)):
        raise exceptions.NotFound('Metadata definition namespace=%s was not found.'
                                  % namespace['namespace'])


def check_metadef(pol, ctx, namespace, *rules):
    """get_metadef_namespace (404), then each of RULES on the namespace (403)."""
    check_namespace_visible(pol, ctx, namespace)
    for rule in rules:
        pol.enforce(ctx, rule, namespace_target(namespace))


def check_metadef_project(pol, ctx, *rules, owner=None):
    """RULES on the caller's own project (a list), or on the new namespace's OWNER."""
    owner = owner or ctx.project_id
    target = {'project_id': owner, 'owner': owner, 'visibility': None}
    for rule in rules:
        pol.enforce(ctx, rule, target)
