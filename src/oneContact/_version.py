"""The installed distribution's version, read from its metadata (``oneContact.__version__``).

A module of its own, at the bottom of the import graph, so a module that records the
version (the ledger's projection keys) need not import the package that imports it.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("onecontact")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
