#!/usr/bin/env bash
# Slim a built app folder (called by build.sh): strip debug symbols from shared libraries that still have
# them (277 files, 211 MB here: mostly Cython modules of spaCy/thinc/blis built with symbols) and drop C/Cython
# sources that collect_all() copies as data. Libraries under *.libs/ (auditwheel-patched copies) are left
# alone: stripping patchelf-edited ELF files can corrupt them.
set -euo pipefail
APP=${1:?usage: packaging/slim.sh APP_FOLDER}
command -v strip >/dev/null || { echo "slim: no strip (binutils); skipping"; exit 0; }
before=$(du -sb "$APP" | cut -f1)
find "$APP" -type f \( -name '*.so' -o -name '*.so.*' \) ! -path '*.libs/*' -print0 |
    while IFS= read -r -d '' lib; do
        if file -b "$lib" | grep -q "not stripped"; then strip --strip-unneeded "$lib"; fi
    done
find "$APP" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.cpp' -o -name '*.c' -o -name '*.h' \) -delete
after=$(du -sb "$APP" | cut -f1)
echo "slim: $(( (before - after) / 1000000 )) MB removed; $(( after / 1000000 )) MB left"
