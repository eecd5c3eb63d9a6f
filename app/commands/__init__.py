"""Subcommands of the ``lexiscope`` CLI; each module has ``register(subparsers)``."""
