"""Errors the user can act on; the CLI prints them without a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad argument, missing model, newer index)."""


class IndexDamaged(UserError):
    """The index on disk is damaged; the message says what and points to ``lexiscope check --repair``."""


class IndexTooNew(Exception):
    """The index on disk was written by a newer Lexiscope (defined here so the CLI starts without pyarrow)."""


class ModelUnavailable(UserError):
    """A model the index was built with cannot be loaded (missing or damaged): the run stops rather than
    silently use another model against vectors it did not make."""
