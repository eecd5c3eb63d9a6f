"""The frozen app's entry point: ``lexiscope`` with the same arguments as the installed command.

A separate file (not app/cli.py itself) so that PyInstaller runs ``app.cli`` as the package module it
is: relative layout, ``app.commands`` discovery and multiprocessing's re-import all see ``app.cli``.
"""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
