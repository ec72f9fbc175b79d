"""Says what a daemon's config files ask for that the daemon will not do.

oslo.config reads only the options that are registered and ignores the rest of a file
without a word. At start each daemon calls ``audit()``, which reads its files again and logs
one WARNING per option that is

- not implemented: an upstream Glance option Glimpse knows by name but does not honour (or
  honours only for some values), listed in the daemon's table of NotImplementedOption;
- unknown: neither registered by Glimpse or the libraries it uses nor in that table, with
  the nearest known name when there is one (a typo, or the right name in another section).

Libraries register some groups only when they first run (keystonemiddleware's
[keystone_authtoken], whose auth plugin adds options of its own): the caller passes the
names such groups accept in ``library_names``, and the groups it cannot know in full (no
auth plugin chosen, say) in ``open_groups``, whose unknown names are not reported.
"""

import dataclasses
import difflib
import fnmatch
import glob
import logging
import os

from oslo_config import cfg

LOG = logging.getLogger(__name__)

DEFAULT = 'DEFAULT'
_FALSE = ('false', '0', 'no', 'off', '')


def is_false(value):
    return value.strip().lower() in _FALSE


def is_true(value):
    return not is_false(value)


@dataclasses.dataclass(frozen=True)
class NotImplementedOption:
    """An upstream option Glimpse does not honour.

    ``name`` may be a shell pattern (``swift_store_*``, or ``*`` for a whole section).
    ``harmless(value)``, when given, says whether a value asks for nothing beyond what
    Glimpse does anyway (``delayed_delete = False``, say); such a value is not reported.
    """
    group: str
    name: str
    reason: str
    harmless: object = None

    def matches(self, group, name):
        return group == self.group and fnmatch.fnmatchcase(name, self.name)


@dataclasses.dataclass(frozen=True)
class Finding:
    group: str
    name: str
    message: str
    not_implemented: bool


def _norm(name):
    return name.replace('-', '_')


def config_files(conf):
    """The files oslo.config read for ``conf``: --config-file ones, then each --config-dir's
    *.conf in name order, as oslo.config reads them."""
    files = list(conf.config_file or [])
    dirs = conf.config_dir or []
    if isinstance(dirs, str):
        dirs = [dirs]
    for directory in dirs:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return [f for f in files if os.path.isfile(f)]


def read_files(files):
    """[(file, section, option, value)] in file order; the last value of a repeated one."""
    found = []
    for path in files:
        sections = {}
        cfg.ConfigParser(path, sections).parse()
        for section, options in sections.items():
            for name, values in options.items():
                value = values[-1] if isinstance(values, list) and values else values
                found.append((path, section, name, str(value)))
    return found


def retired_options(conf):
    """{(group, name): reason} of the registered options deprecated for removal: accepted
    so that old files still load, and ignored."""
    retired = {}
    infos = [(DEFAULT, info) for info in conf._opts.values()]
    infos += [(name, info) for name, group in conf._groups.items()
              for info in group._opts.values()]
    for group, info in infos:
        opt = info['opt']
        if getattr(opt, 'deprecated_for_removal', False):
            retired[(group, _norm(opt.name))] = opt.deprecated_reason or ''
    return retired


def registered_names(conf):
    """{group: {option names and deprecated names}} of everything registered on ``conf``.

    oslo.config has no public listing of registered options; its _opts and _groups dicts
    have been stable for a decade, and a failure here only costs the audit.
    """
    known = {}

    def add(group, opt):
        names = known.setdefault(group, set())
        names.add(_norm(opt.dest))
        names.add(_norm(opt.name))
        for deprecated in opt.deprecated_opts:
            known.setdefault(deprecated.group or group, set()).add(
                _norm(deprecated.name or opt.name))

    for info in conf._opts.values():
        add(DEFAULT, info['opt'])
    for group_name, group in conf._groups.items():
        known.setdefault(group_name, set())
        for info in group._opts.values():
            add(group_name, info['opt'])
    return known


def _suggestion(group, name, known):
    close = difflib.get_close_matches(name, sorted(known.get(group, ())), n=1, cutoff=0.75)
    if close:
        return '; did you mean %s?' % close[0]
    elsewhere = sorted(g for g, names in known.items() if name in names and g != group)
    if elsewhere:
        return '; it is an option of [%s]' % elsewhere[0]
    if group not in known:
        sections = difflib.get_close_matches(group, sorted(known), n=1, cutoff=0.75)
        if sections:
            return '; did you mean section [%s]?' % sections[0]
    return ''


def findings(conf, not_implemented, library_names=None, open_groups=(), files=None):
    """The options of ``conf``'s files that the daemon will not honour, in file order."""
    known = registered_names(conf)
    retired = retired_options(conf)
    for group, names in (library_names or {}).items():
        known.setdefault(group, set()).update(_norm(n) for n in names)
    out = []
    seen = set()
    for path, group, raw_name, value in read_files(config_files(conf) if files is None
                                                   else files):
        name = _norm(raw_name)
        if (group, name) in seen:
            continue
        seen.add((group, name))
        entry = next((e for e in not_implemented if e.matches(group, name)), None)
        where = '%s: [%s] %s' % (os.path.basename(path), group, raw_name)
        if entry is not None:
            if entry.harmless is not None and entry.harmless(value):
                continue
            # Values are shown only where they decide (a store name, a boolean): a
            # wholesale entry may cover passwords.
            shown = where + (' = %s' % value if entry.harmless is not None else '')
            out.append(Finding(group, name, '%s is not implemented in Glimpse and has no '
                                            'effect: %s' % (shown, entry.reason), True))
        elif (group, name) in retired:
            out.append(Finding(group, name, '%s is deprecated for removal and ignored: %s'
                                            % (where, retired[group, name]), True))
        elif name not in known.get(group, ()) and group not in open_groups:
            out.append(Finding(group, name, '%s is not an option this daemon knows; it is '
                                            'ignored%s' % (where, _suggestion(group, name,
                                                                              known)),
                               False))
    return out


def audit(conf, not_implemented, library_names=None, open_groups=(), logger=None):
    """Log one WARNING per finding; returns the findings. Never raises: a file oslo.config
    read once more here cannot fail in a new way, but if it does, the daemon still starts."""
    logger = logger or LOG
    try:
        found = findings(conf, not_implemented, library_names, open_groups)
    except Exception as exc:
        logger.warning('Could not check the configuration files for unknown options: %s',
                       exc)
        return []
    for finding in found:
        logger.warning('%s', finding.message)
    return found
