"""The package version, in the one place the build (pyproject), the tables' provenance and the
feature caches read it."""

__version__ = "0.1.0"
