"""What an uploaded disk image really is, whether it is safe, and whether it is what it claims.

oslo.utils' format inspectors do the parsing (``oslo_utils.imageutils.format_inspector``);
this module feeds them the upload as it streams past and then applies upstream Glance's rules
(``[image_format]`` options):

* only ``container_format=bare`` images are inspected;
* the content must pass its format's safety checks: no qcow2 backing file or external data
  file, no VMDK extent naming another file, only the VMDK subformats in
  ``vmdk_allowed_types``, a sane partition table (CVE-2022-47951, CVE-2024-32498);
* with ``require_image_format_match`` the detected format must be the ``disk_format``, with
  these allowances: a ``raw`` or ``iso`` image may carry a partition table (detected as
  ``gpt``), a bootable ISO is detected as both ``iso`` and ``gpt`` and counts as ``iso``, and
  formats no inspector knows (``ami``, ``aki``, ``ari``, ``ploop``) cannot be checked;
* ``virtual_size`` comes from the detected format's header (raw: the byte count).

Anything refused raises InvalidImageData (415).
"""

import dataclasses
import logging

from oslo_utils.imageutils import format_inspector

from api_service import exceptions

LOG = logging.getLogger(__name__)

INSPECTED_CONTAINERS = ('bare',)
# Disk formats whose content may legitimately start with an MBR or a protective GPT.
PARTITIONED_FORMATS = ('raw', 'iso')
RAW = 'raw'


@dataclasses.dataclass(frozen=True)
class Rules:
    """The ``[image_format]`` options that decide an upload's fate."""

    require_format_match: bool = True
    vmdk_allowed_types: tuple = ('streamoptimized', 'monolithicsparse')
    gpt_safety_checks_nonfatal: bool = False

    @classmethod
    def from_conf(cls, conf):
        group = conf.image_format
        return cls(require_format_match=group.require_image_format_match,
                   vmdk_allowed_types=tuple(t.lower() for t in group.vmdk_allowed_types),
                   gpt_safety_checks_nonfatal=group.gpt_safety_checks_nonfatal)


def inspectable(disk_format):
    """True when some inspector can tell whether content is ``disk_format``."""
    return format_inspector.get_inspector(disk_format) is not None


def _format_match(inspector):
    """True, False, or None when the inspector cannot tell.

    The VMDK inspector raises on text that starts like a descriptor but does not decode
    (InspectWrapper lets that escape); such content is refused rather than guessed at.
    """
    try:
        return bool(inspector.format_match)
    except Exception:
        return None


class StreamInspector:
    """Runs every inspector over the chunks of one upload, in one pass.

    An inspector that has read all it wanted and found no match drops out, so after the
    first megabyte or so only the raw byte counter and the matching format (if any) still
    look at the data. ``expected`` names a format the content must turn out to be; the
    stream then stops with InvalidImageData as soon as its inspector rules it out.
    """

    def __init__(self, expected=None):
        self._raw = format_inspector.RawFileInspector()
        self._candidates = [cls() for name, cls in format_inspector.ALL_FORMATS.items()
                            if name != RAW]
        self._live = list(self._candidates)
        self._expected = next((i for i in self._candidates if str(i) == expected), None)
        self._finished = False

    def wrap(self, chunks):
        """Yield ``chunks`` unchanged, inspecting each on the way."""
        for chunk in chunks:
            self._eat(chunk)
            yield chunk
        self.finish()

    def _eat(self, chunk):
        self._raw.eat_chunk(chunk)
        live = []
        for inspector in self._live:
            try:
                inspector.eat_chunk(chunk)
            except Exception as exc:
                # The inspector gave up on this content; like InspectWrapper we stop
                # feeding it, but it stays a candidate in case its header did match.
                LOG.debug('%s inspector stopped: %s', inspector, exc)
                continue
            if inspector.complete and _format_match(inspector) is False:
                continue
            live.append(inspector)
        self._live = live
        expected = self._expected
        if expected is not None and expected not in live \
                and _format_match(expected) is False:
            raise exceptions.InvalidImageData(reason='the content does not match disk_format %s.'
                                              % expected)

    def finish(self):
        if not self._finished:
            self._finished = True
            for inspector in [self._raw] + self._candidates:
                inspector.finish()

    @property
    def size(self):
        return self._raw.actual_size

    def detected(self):
        """The inspectors whose format the content matches; [raw] when none does."""
        self.finish()
        unclear = [str(i) for i in self._candidates if _format_match(i) is None]
        if unclear:
            raise exceptions.InvalidImageData(reason='the content could not be inspected as %s.'
                                              % ', '.join(unclear))
        return [i for i in self._candidates if _format_match(i)] or [self._raw]


def _choose(detected):
    """One inspector out of what matched; several matches are refused, bar a bootable ISO."""
    if len(detected) == 1:
        return detected[0]
    by_name = {str(i): i for i in detected}
    if set(by_name) == {'iso', 'gpt'}:
        return by_name['iso']
    raise exceptions.InvalidImageData(reason='the content matches several formats (%s).'
                                      % ', '.join(sorted(by_name)))


def _check_safety(inspector, rules):
    try:
        inspector.safety_check()
    except format_inspector.SafetyCheckFailed as exc:
        if str(inspector) == 'gpt' and rules.gpt_safety_checks_nonfatal:
            LOG.warning('Accepting an image whose partition table failed safety checks '
                        '(%s) because gpt_safety_checks_nonfatal is set.',
                        ', '.join(sorted(exc.failures)))
        else:
            reasons = '; '.join('%s: %s' % (name, failure)
                                for name, failure in sorted(exc.failures.items()))
            raise exceptions.InvalidImageData(reason='the %s image failed safety checks (%s).'
                                              % (inspector, reasons)) from exc
    except format_inspector.ImageFormatError as exc:
        raise exceptions.InvalidImageData(reason='the %s image could not be checked: %s'
                                          % (inspector, exc)) from exc
    if str(inspector) == 'vmdk':
        subformat = getattr(inspector, 'vmdktype', None)
        if subformat not in rules.vmdk_allowed_types:
            raise exceptions.InvalidImageData(reason='VMDK subformat %s is not allowed.'
                                              % subformat)


def _matches(disk_format, detected_name):
    if detected_name == disk_format or not inspectable(disk_format):
        return True
    return detected_name == 'gpt' and disk_format in PARTITIONED_FORMATS


def decide(rules, disk_format, detected):
    """-> the image's virtual_size (None if unknown); InvalidImageData when refused.

    ``detected`` is what StreamInspector.detected() returned for the whole content.
    """
    inspector = _choose(detected)
    _check_safety(inspector, rules)
    name = str(inspector)
    if not _matches(disk_format, name):
        if rules.require_format_match:
            raise exceptions.InvalidImageData(reason='the content is %s, which does not match '
                                              'disk_format %s.' % (name, disk_format))
        LOG.warning('Image content is %s but disk_format is %s; accepted because '
                    'require_image_format_match is off.', name, disk_format)
        return None
    return inspector.virtual_size or None


class UploadInspection:
    """The inspection of one upload: ``wrap`` the chunks, then ``verdict()``."""

    def __init__(self, rules, disk_format):
        self.rules = rules
        self.disk_format = disk_format
        early = (rules.require_format_match and inspectable(disk_format)
                 and disk_format not in PARTITIONED_FORMATS)
        self._stream = StreamInspector(expected=disk_format if early else None)

    def wrap(self, chunks):
        return self._stream.wrap(chunks)

    @property
    def bytes_seen(self):
        """How much of the body went through ``wrap`` so far."""
        return self._stream.size

    def verdict(self):
        """-> virtual_size or None; InvalidImageData when the image must be refused."""
        return decide(self.rules, self.disk_format, self._stream.detected())


def for_image(conf, image):
    """The inspection an upload of ``image`` needs, or None (non-bare containers)."""
    if image.get('container_format') not in INSPECTED_CONTAINERS:
        return None
    return UploadInspection(Rules.from_conf(conf), image.get('disk_format'))
