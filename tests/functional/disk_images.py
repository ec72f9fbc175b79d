"""Disk images for tests that care about their format, made on the spot.

qemu-img (Debian's qemu-utils) writes every virtual disk format here, so the images are the
ones a user would upload. The few layouts qemu-img cannot write (an ISO 9660 volume, a disk
with an MBR or protective-GPT partition table) are laid out byte by byte from their
specifications. Each builder returns the image's bytes; ``qemu_img_info`` is the oracle for
the virtual size the service should report.
"""

import json
import os
import shutil
import struct
import subprocess
import tempfile

MiB = 1024 * 1024
SECTOR = 512
ISO_BLOCK = 2048

QEMU_IMG = shutil.which('qemu-img')


def _qemu_img(*args, cwd):
    if QEMU_IMG is None:
        raise RuntimeError('qemu-img is needed to build test images (Debian: qemu-utils).')
    subprocess.run([QEMU_IMG, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _random_disk(path, virtual_size, written=64 * 1024):
    """A sparse raw disk whose first ``written`` bytes are random: every build differs."""
    with open(path, 'wb') as out:
        out.write(os.urandom(min(written, virtual_size)))
        out.truncate(virtual_size)


def converted(fmt, virtual_size=16 * MiB, options=None):
    """A raw disk with some random data, converted by qemu-img to ``fmt``.

    ``fmt`` is qemu's name (qcow2, vmdk, vpc, vhdx, vdi); ``options`` its -o string
    (e.g. ``subformat=streamOptimized``).
    """
    with tempfile.TemporaryDirectory() as tmp:
        _random_disk(os.path.join(tmp, 'disk.raw'), virtual_size)
        args = ['convert', '-f', 'raw', '-O', fmt]
        if options:
            args += ['-o', options]
        _qemu_img(*args, 'disk.raw', 'disk.out', cwd=tmp)
        with open(os.path.join(tmp, 'disk.out'), 'rb') as image:
            return image.read()


def qcow2(virtual_size=16 * MiB):
    return converted('qcow2', virtual_size)


def qcow2_with_backing_file(virtual_size=16 * MiB):
    """A qcow2 overlay naming a backing file: a reader of it would read that file too."""
    with tempfile.TemporaryDirectory() as tmp:
        _random_disk(os.path.join(tmp, 'base.raw'), virtual_size)
        _qemu_img('create', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', 'top.qcow2',
                  cwd=tmp)
        with open(os.path.join(tmp, 'top.qcow2'), 'rb') as image:
            return image.read()


def qcow2_with_data_file(virtual_size=16 * MiB):
    """A qcow2 whose guest data lives in an external file it names (CVE-2024-32498)."""
    with tempfile.TemporaryDirectory() as tmp:
        _qemu_img('create', '-f', 'qcow2', '-o', 'data_file=data.raw', 'top.qcow2',
                  str(virtual_size), cwd=tmp)
        with open(os.path.join(tmp, 'top.qcow2'), 'rb') as image:
            return image.read()


def vmdk_flat_descriptor(virtual_size=16 * MiB):
    """The text descriptor of a monolithicFlat VMDK: its data is in another file."""
    with tempfile.TemporaryDirectory() as tmp:
        _qemu_img('create', '-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'disk.vmdk',
                  str(virtual_size), cwd=tmp)
        with open(os.path.join(tmp, 'disk.vmdk'), 'rb') as image:
            return image.read()


def vmdk_with_external_extent(virtual_size=16 * MiB, target='/etc/hosts'):
    """A monolithicSparse VMDK whose embedded descriptor points its extent at ``target``.

    qemu-img writes the descriptor as text null-padded to whole sectors; the extent line's
    file name is rewritten in place (the padding absorbs the longer name), the way a crafted
    image reaches a host file (CVE-2022-47951).
    """
    image = bytearray(converted('vmdk', virtual_size))
    start = image.index(b'# Extent description')
    end = image.index(b'\0', start)
    descriptor = bytes(image[start:end])
    line = next(x for x in descriptor.split(b'\n') if x.startswith(b'RW '))
    name = line.split(b'"')[1]
    patched = descriptor.replace(b'"%s"' % name, b'"%s"' % target.encode())
    if start + len(patched) >= image.index(b'\0' * 64, start) + 64:
        raise RuntimeError('the new extent name does not fit in the descriptor sectors')
    image[start:start + len(patched)] = patched
    return bytes(image)


def iso9660(blocks=64, system_area=b''):
    """A minimal ISO 9660 volume: system area, primary volume descriptor, terminator.

    ``system_area`` is written over the first 32 KiB, where a hybrid ISO keeps its MBR.
    """
    pvd = bytearray(ISO_BLOCK)
    pvd[0] = 1                                      # primary volume descriptor
    pvd[1:6] = b'CD001'
    pvd[6] = 1
    pvd[8:40] = b'GLIMPSE'.ljust(32)               # system identifier
    pvd[40:72] = b'TEST_ISO'.ljust(32)             # volume identifier
    pvd[80:88] = struct.pack('<I', blocks) + struct.pack('>I', blocks)
    pvd[120:124] = struct.pack('<H', 1) + struct.pack('>H', 1)     # volume set size
    pvd[124:128] = struct.pack('<H', 1) + struct.pack('>H', 1)     # sequence number
    pvd[128:132] = struct.pack('<H', ISO_BLOCK) + struct.pack('>H', ISO_BLOCK)
    pvd[881] = 1                                    # file structure version
    terminator = bytearray(ISO_BLOCK)
    terminator[0] = 255
    terminator[1:6] = b'CD001'
    terminator[6] = 1
    image = bytearray(blocks * ISO_BLOCK)
    image[:len(system_area)] = system_area
    image[16 * ISO_BLOCK:17 * ISO_BLOCK] = pvd
    image[17 * ISO_BLOCK:18 * ISO_BLOCK] = terminator
    return bytes(image)


def _partition_entry(boot, os_type, start_lba, sectors, start_chs=(0, 2, 0)):
    return struct.pack('<B3BB3BII', boot, *start_chs, os_type, 0xFE, 0xFF, 0xFF,
                       start_lba, sectors)


def mbr(entries):
    """A 512-byte master boot record holding up to four partition entries."""
    sector = bytearray(SECTOR)
    for index, entry in enumerate(entries):
        sector[446 + 16 * index:446 + 16 * (index + 1)] = entry
    sector[510:512] = b'\x55\xaa'
    return bytes(sector)


def mbr_disk(size=4 * MiB):
    """A raw disk with a DOS partition table: one bootable Linux partition."""
    sectors = size // SECTOR
    table = mbr([_partition_entry(0x80, 0x83, 2048, sectors - 2048)])
    return table + os.urandom(64 * 1024) + bytes(size - SECTOR - 64 * 1024)


def malformed_mbr_disk(size=4 * MiB):
    """A raw disk whose partition table is invalid (a boot flag that is neither 0 nor 0x80)."""
    sectors = size // SECTOR
    table = mbr([_partition_entry(0x42, 0x83, 2048, sectors - 2048)])
    return table + bytes(size - SECTOR)


def protective_mbr(sectors):
    """The MBR of a GPT disk: one 0xEE partition covering the disk from LBA 1."""
    return mbr([_partition_entry(0x00, 0xEE, 1, sectors - 1)])


def hybrid_iso(blocks=64):
    """An ISO 9660 volume that also carries a protective MBR, as bootable ISOs do."""
    return iso9660(blocks, system_area=protective_mbr(blocks * ISO_BLOCK // SECTOR))


def qemu_img_info(data):
    """qemu-img's view of the image in ``data``: {'format', 'virtual-size', ...}."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'image')
        with open(path, 'wb') as out:
            out.write(data)
        result = subprocess.run([QEMU_IMG, 'info', '--output=json', path], check=True,
                                capture_output=True, timeout=60)
        return json.loads(result.stdout)
