"""Small, valid disk images for tests that declare a real disk_format (no qemu-img needed)."""

import os
import struct

CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
HEADER_LENGTH = 104  # qcow2 version 3 header


def qcow2(virtual_size=16 * 1024 * 1024):
    """An empty qcow2 v3 image: header, refcount table, refcount block, L1 table.

    The unused tail of the header cluster holds random bytes, which qemu ignores, so every
    call gives different data (and a different checksum) while staying a valid image.
    """
    l2_entries = CLUSTER // 8
    l1_size = -(-virtual_size // (CLUSTER * l2_entries))
    refcount_table, refcount_block, l1_table = CLUSTER, 2 * CLUSTER, 3 * CLUSTER
    header = struct.pack(
        '>4sIQIIQIIQQIIQQQQII',
        b'QFI\xfb', 3,
        0, 0,                       # no backing file
        CLUSTER_BITS, virtual_size,
        0,                          # no encryption
        l1_size, l1_table,
        refcount_table, 1,          # refcount table: offset, clusters
        0, 0,                       # no snapshots
        0, 0, 0,                    # incompatible, compatible, autoclear features
        4, HEADER_LENGTH)           # 16-bit refcounts
    assert len(header) == HEADER_LENGTH
    end_of_extensions = b'\0' * 8
    cluster0 = header + end_of_extensions
    cluster0 += os.urandom(CLUSTER - len(cluster0))
    table = struct.pack('>Q', refcount_block).ljust(CLUSTER, b'\0')
    block = struct.pack('>4H', 1, 1, 1, 1).ljust(CLUSTER, b'\0')
    l1 = b'\0' * CLUSTER
    return cluster0 + table + block + l1
