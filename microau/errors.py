"""The one base class of errors a user can fix (bad input, bad config, missing weights).

`microau.cli.main` catches it once and prints one line; any other exception is a programming
error and keeps its traceback.
"""


class MicroauError(Exception):
    """An error caused by the input or the configuration; its message says what to change."""
