#!/usr/bin/env bash
# Smoke-test a built app folder: packaging/smoke.sh dist/lexiscope
#
# In a fresh data folder: every default model must be found inside the bundle (text, vocabulary, NER);
# the window must start on the sample collection, run a query and save a screenshot (--screenshot --demo
# --query); `search --json` through the bundle must return results with dense and sparse scores; and the
# window must be shown within LEXISCOPE_MAX_START_S seconds (default 3). Uses Xvfb when there is no
# display and it is installed (a real X server), else Qt's offscreen platform.
set -euo pipefail
BUNDLE=${1:?usage: packaging/smoke.sh BUNDLE_FOLDER}
EXE="$(cd "$BUNDLE" && pwd)/lexiscope"
[ -x "$EXE" ] || { echo "smoke: no executable at $EXE" >&2; exit 1; }
OUT=${SMOKE_OUT:-$(mktemp -d)}
export LEXISCOPE_HOME="$OUT/home"
mkdir -p "$LEXISCOPE_HOME"
QUERY=${SMOKE_QUERY:-harbour strike}
MAX_START=${LEXISCOPE_MAX_START_S:-3}
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    if command -v Xvfb >/dev/null; then
        # One X server for every run (xvfb-run would start a new one each time and the start-up timing
        # would measure the X server too).
        NUM=$((90 + RANDOM % 100))
        Xvfb ":$NUM" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
        XVFB_PID=$!
        trap 'kill $XVFB_PID 2>/dev/null || true' EXIT
        export DISPLAY=":$NUM"
        sleep 1
    else
        export QT_QPA_PLATFORM=offscreen
    fi
fi
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

echo "== default models inside the bundle"
"$EXE" models list --json > "$OUT/models.json"
python3 - "$OUT/models.json" <<'PY' || fail "a default model is missing from the bundle"
import json, sys
rows = json.load(open(sys.argv[1]))
rows = rows.get("models", rows) if isinstance(rows, dict) else rows
need = {"all-minilm-l6-v2", "idf", "en-core-web-sm"}
found = {r.get("id") for r in rows if r.get("installed")}
print("installed:", ", ".join(sorted(found)))
sys.exit(0 if need <= found else print("missing:", ", ".join(sorted(need - found))) or 1)
PY

echo "== window: --screenshot --demo --query '$QUERY'"
"$EXE" --screenshot "$OUT/window.png" --demo --query "$QUERY" > "$OUT/window.log" 2>&1 \
    || { cat "$OUT/window.log"; fail "the window run failed"; }
[ -s "$OUT/window.png" ] || fail "no screenshot written"
echo "screenshot: $OUT/window.png"

echo "== search --json through the bundle"
"$EXE" search "$QUERY" --json --explain > "$OUT/search.json" || fail "search failed"
python3 - "$OUT/search.json" <<'PY' || fail "search --json lacks results with dense and sparse scores"
import json, sys
data = json.load(open(sys.argv[1]))
results = data["results"]
print(f"mode {data['mode']}: {len(results)} results; top: {results[0]['title'] if results else None}")
assert results, "no results"
top = results[0]["scores"]
print("top scores:", top)
assert top.get("dense") is not None and top.get("sparse") is not None, top
assert not any("not installed" in n for n in data.get("notes", [])), data["notes"]
PY

echo "== start-up: launch to shown window (LEXISCOPE_REPORT_SHOWN=exit), best of 3"
best=""
for i in 1 2 3; do
    t0=$(python3 -c "import time; print(f'{time.time():.6f}')")
    shown=$(LEXISCOPE_REPORT_SHOWN=exit "$EXE" 2>/dev/null | sed -n 's/^window-shown //p' | head -1)
    [ -n "$shown" ] || fail "the window never reported being shown"
    dt=$(python3 -c "print(f'{$shown - $t0:.2f}')")
    echo "run $i: window shown after $dt s"
    best=$(python3 -c "print(min(float(x) for x in '$best $dt'.split()))")
done
python3 -c "import sys; sys.exit(0 if $best <= $MAX_START else 1)" || fail "window shown after $best s (limit $MAX_START s)"
echo "smoke: PASS (window shown after $best s; output in $OUT)"
