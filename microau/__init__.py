"""Micro-AU CLIP pipeline: readers, preprocessing, model, training and evaluation.

The Python API for notebooks (`microau.inference.analyse`): `microau.load_model(path, device=...)` returns an
`Analyser` whose `.analyse(clip)` and `.analyse_many(clips)` give a pandas DataFrame, one row per
clip. They are re-exported lazily, so that `microau <command>` pays for pandas and OpenCV only in
the commands that use them.
"""

from microau.version import __version__

API = ("load_model", "Analyser", "Clip")
__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        from microau.inference import analyse

        return getattr(analyse, name)
    raise AttributeError(f"module 'microau' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted([*globals(), *API])
