"""Errors the user can act on; the CLI prints them without a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad argument, missing model, newer index)."""


class IndexDamaged(UserError):
    """The index on disk is damaged; the message says what and points to ``lexiscope check --repair``."""
