"""Package list for setuptools (the rest of the metadata is in pyproject.toml).

Why a setup.py: resources/ (icons, styles, desktop file, the sample collection) ships inside the app package
as ``app/_resources`` — not as a top-level "resources" folder in site-packages, a name any project could
use — and pyproject's ``packages.find`` cannot add a package that lives outside the ``app`` folder.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*", "models", "models.*"]), "app._resources"],
    package_dir={"app._resources": "resources"},
    package_data={"app": ["py.typed"], "app._resources": ["**/*"]},
)
