#!/bin/sh
# Install Lexiscope's desktop entry, icon and AppStream file for the current user (no root needed),
# so it appears in the application menu. Run from anywhere: paths are relative to this script.
# Usage: packaging/install-desktop-entry.sh [--uninstall]
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"
meta="$data/metainfo"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/lexiscope.desktop" "$icons/lexiscope.svg" "$meta/io.github.lexiscope.Lexiscope.metainfo.xml"
    echo "Removed the Lexiscope desktop entry."
    exit 0
fi

if ! command -v lexiscope >/dev/null 2>&1; then
    echo "note: 'lexiscope' is not on PATH; the menu entry runs 'lexiscope' (install it, or edit Exec= in $apps/lexiscope.desktop)." >&2
fi

mkdir -p "$apps" "$icons" "$meta"
install -m 644 "$here/resources/lexiscope.desktop" "$apps/lexiscope.desktop"
install -m 644 "$here/resources/icons/lexiscope.svg" "$icons/lexiscope.svg"
install -m 644 "$here/resources/io.github.lexiscope.Lexiscope.metainfo.xml" "$meta/io.github.lexiscope.Lexiscope.metainfo.xml"

# Refresh caches where the tools exist; both are optional.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q "$data/icons/hicolor" || true
echo "Installed Lexiscope into $apps (icon in $icons)."
