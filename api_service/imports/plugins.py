"""The import plugins ([image_import_opts] image_import_plugins), run in that order on the
staged data before it goes to the stores (not for copy-image, as upstream).

Each plugin takes the ImportJob and may replace its staged file (``job.path``), change the
attributes the image will get (``job.disk_format``, ``job.virtual_size``) or add properties
(``job.properties``). A failure raises PluginFailed with the reason the task records.
"""

import bz2
import gzip
import json
import logging
import lzma
import os
import subprocess
import zipfile

from api_service import exceptions as api_exceptions
from api_service.services import format_inspection

LOG = logging.getLogger(__name__)

# qemu-img gets at most this much address space and CPU time (as upstream's prlimit), so a
# crafted image cannot make it eat the host.
QEMU_IMG_ADDRESS_SPACE = 1024 * 1024 * 1024
QEMU_IMG_CPU_SECONDS = 600
COPY_CHUNK = 1024 * 1024


class PluginFailed(Exception):
    """A plugin refused or could not process the data; the message is the task's."""


class ImportJob:
    """One import's data and what it will change on the image."""

    def __init__(self, image, path, roles=()):
        self.image = image
        self.image_id = image['id']
        self.path = path
        self.disk_format = image.get('disk_format')
        self.container_format = image.get('container_format')
        self.virtual_size = None
        self.properties = {}
        self.roles = list(roles)
        # Files the plugins made, removed with the staged data.
        self.outputs = []

    def output_path(self, suffix):
        path = '%s.%s' % (self.path, suffix)
        self.outputs.append(path)
        return path


def _inspect_file(conf, path, disk_format):
    """Glimpse's format checks on a whole file (as on an upload); -> (detected format
    name, virtual size). PluginFailed when unsafe or not ``disk_format``."""
    rules = format_inspection.Rules.from_conf(conf)
    stream = format_inspection.StreamInspector()
    try:
        for _ in stream.wrap(_read(path)):
            pass
        detected = stream.detected()
        virtual_size = format_inspection.decide(rules, disk_format, detected)
    except api_exceptions.InvalidImageData as exc:
        raise PluginFailed('Image refused before conversion: %s' % exc.msg) from exc
    names = {str(inspector) for inspector in detected}
    name = 'iso' if names == {'iso', 'gpt'} else names.pop()
    return ('raw' if name == 'gpt' else name), virtual_size


def _read(path):
    with open(path, 'rb') as f:
        yield from iter(lambda: f.read(COPY_CHUNK), b'')


def _limit_qemu_img():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (QEMU_IMG_ADDRESS_SPACE, QEMU_IMG_ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (QEMU_IMG_CPU_SECONDS, QEMU_IMG_CPU_SECONDS))


def _qemu_img(*args):
    try:
        done = subprocess.run(('qemu-img',) + args, capture_output=True, text=True,
                              preexec_fn=_limit_qemu_img, timeout=QEMU_IMG_CPU_SECONDS * 2)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PluginFailed('qemu-img %s failed: %s' % (args[0], exc)) from exc
    if done.returncode != 0:
        raise PluginFailed('qemu-img %s failed: %s' % (args[0], done.stderr.strip()))
    return done.stdout


class ImageConversion:
    """qemu-img convert to [image_conversion] output_format. The input must pass Glimpse's
    format safety checks and be its disk_format first (a qcow2 with a backing or data
    file, a VMDK with extents in other files are refused before qemu-img runs), and
    qemu-img info must agree; the output is inspected again."""

    name = 'image_conversion'

    def __init__(self, conf):
        self.conf = conf

    def run(self, job):
        target = self.conf.image_conversion.output_format
        source = job.disk_format
        detected, _ = _inspect_file(self.conf, job.path, source)
        if detected == 'iso' and source == 'iso':
            return
        info = json.loads(_qemu_img('info', '-f', source, '--output=json', job.path))
        if info.get('format') != source:
            raise PluginFailed('qemu-img sees %s data in an image declared %s.'
                               % (info.get('format'), source))
        if 'backing-filename' in info:
            raise PluginFailed('Images with a backing file are not allowed.')
        if (info.get('format-specific') or {}).get('data', {}).get('data-file'):
            raise PluginFailed('qcow2 images with a data-file are not allowed.')
        job.virtual_size = info.get('virtual-size') or job.virtual_size
        if source == target:
            return
        output = job.output_path(target)
        _qemu_img('convert', '-f', source, '-O', target, job.path, output)
        try:
            converted, virtual_size = _inspect_file(self.conf, output, target)
        except PluginFailed as exc:
            raise PluginFailed('The converted image failed inspection: %s' % exc) from exc
        if converted != target:
            raise PluginFailed('The converted image is %s, not %s.' % (converted, target))
        LOG.info('Image %s converted from %s to %s.', job.image_id, source, target)
        job.path = output
        job.disk_format = target
        job.virtual_size = virtual_size or os.path.getsize(output)


def _decompressor(path):
    with open(path, 'rb') as f:
        head = f.read(6)
    if head.startswith(b'\x1f\x8b'):
        return 'gz', gzip.open
    if head.startswith(b'BZh'):
        return 'bz2', bz2.open
    if head.startswith(b'\xfd7zXZ\x00'):
        return 'xz', lzma.open
    if head.startswith(b'PK\x03\x04'):
        return 'zip', None
    return None, None


class ImageDecompression:
    """Data that starts like gzip or a single-file zip (as upstream) or bzip2 or xz (beyond
    upstream) is decompressed; an image whose container_format is ``compressed`` is meant
    to stay compressed and is left alone, as upstream."""

    name = 'image_decompression'

    def __init__(self, conf):
        self.conf = conf

    def run(self, job):
        if job.container_format == 'compressed':
            return
        kind, opener = _decompressor(job.path)
        if kind is None:
            return
        output = job.output_path('uncompressed')
        cap = self.conf.image_size_cap
        written = 0
        try:
            if kind == 'zip':
                with zipfile.ZipFile(job.path) as archive:
                    names = archive.namelist()
                    if len(names) != 1:
                        raise PluginFailed('A zip image must hold exactly one file, not %d.'
                                           % len(names))
                    source = archive.open(names[0])
            else:
                source = opener(job.path, 'rb')
            with source, open(output, 'wb') as out:
                for chunk in iter(lambda: source.read(COPY_CHUNK), b''):
                    written += len(chunk)
                    if written > cap:
                        raise PluginFailed('The decompressed image is larger than '
                                           'image_size_cap (%d bytes).' % cap)
                    out.write(chunk)
        except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
            raise PluginFailed('The %s image could not be decompressed: %s'
                               % (kind, exc)) from exc
        job.path = output


class InjectImageMetadata:
    """[inject_metadata_properties] inject set on the image, unless the user has one of
    ignore_user_roles."""

    name = 'inject_image_metadata'

    def __init__(self, conf):
        self.opts = conf.inject_metadata_properties

    def run(self, job):
        ignored = {role.strip().lower() for role in self.opts.ignore_user_roles}
        if ignored & {role.lower() for role in job.roles}:
            return
        job.properties.update(self.opts.inject or {})


class NoOp:
    name = 'no_op'

    def __init__(self, conf):
        pass

    def run(self, job):
        LOG.debug('no_op import plugin ran for image %s.', job.image_id)


PLUGINS = {cls.name: cls for cls in (ImageConversion, ImageDecompression,
                                     InjectImageMetadata, NoOp)}


def check(conf):
    """ConfigurationError naming the option for an unknown plugin."""
    for name in conf.image_import_opts.image_import_plugins:
        if name.strip() not in PLUGINS:
            raise api_exceptions.ConfigurationError(
                '[image_import_opts] image_import_plugins: unknown plugin %r (known: %s).'
                % (name, ', '.join(sorted(PLUGINS))))


def from_config(conf):
    check(conf)
    return [PLUGINS[name.strip()](conf) for name in conf.image_import_opts.image_import_plugins]
