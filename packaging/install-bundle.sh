#!/usr/bin/env bash
# Put the unpacked Lexiscope folder in the desktop menu (no root): ./install.sh   |   ./install.sh --uninstall
# The menu entry runs this folder's `lexiscope %F`: choosing it opens the window, and folders dropped on
# the launcher (or opened with it from a file manager) are indexed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
ENTRY=$DATA/applications/lexiscope.desktop
ICON=$DATA/icons/hicolor/256x256/apps/lexiscope.png
if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$ENTRY" "$ICON"
    echo "removed the Lexiscope menu entry (the index in ~/.local/share/lexiscope is kept)"
    exit 0
fi
mkdir -p "$(dirname "$ENTRY")" "$(dirname "$ICON")"
cp "$HERE/lexiscope.png" "$ICON"
# Exec and TryExec name this folder's binary (quoted: the folder may have spaces in its path).
sed -e "s|^Exec=lexiscope|Exec=\"$HERE/lexiscope\"|" -e "s|^TryExec=lexiscope|TryExec=$HERE/lexiscope|" \
    "$HERE/lexiscope.desktop" > "$ENTRY"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$DATA/applications" || true
echo "Lexiscope is in the menu ($ENTRY)"
