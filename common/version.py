"""The installed Glimpse version, for every command's --version."""

from importlib import metadata

DISTRIBUTION = 'glimpse'


def version_string():
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        # Run from a checkout that was never installed.
        return 'unknown'
