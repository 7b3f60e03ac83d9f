#!/usr/bin/env bash
# Open the HTML audit report in headless Chromium, as a reader would, for the sample inventory
# and for a generated 100,000-user inventory. Fails (exit 1) on a console error, a network
# request other than the report file itself, a report over 10 MB, or a load over 3 s.
#
# Works from a fresh machine: installs Debian's chromium with apt when it is missing, and
# playwright-core (the driver only; it never downloads a browser) from npm into
# target/browser-check/. Screenshots and reports go to target/browser-check/.
#
#   scripts/browser-check.sh            # both inventories
#   USERS=20000 scripts/browser-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-target/browser-check}"
USERS="${USERS:-100000}"
PLAYWRIGHT_VERSION="1.64.1"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing Debian chromium"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing Node.js and npm"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
CHROMIUM="$(command -v chromium)"
export CHROMIUM

if [ ! -f "$OUT/node_modules/playwright-core/package.json" ] ||
  ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$OUT/node_modules/playwright-core/package.json"; then
  echo "== installing playwright-core $PLAYWRIGHT_VERSION (driver only) into $OUT"
  [ -f "$OUT/package.json" ] || echo '{"private": true}' >"$OUT/package.json"
  # No browser download: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD, and Debian's chromium is used.
  (cd "$OUT" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
    "playwright-core@$PLAYWRIGHT_VERSION")
fi
cp scripts/browser-check.mjs "$OUT/browser-check.mjs"

echo "== building (release)"
cargo build --release --quiet --bin invlint --example gen
BIN=target/release/invlint

INV="$OUT/inv-$USERS"
if [ ! -f "$INV/users.csv" ]; then
  echo "== generating a $USERS-user inventory in $INV"
  rm -rf "$INV"
  mkdir -p "$INV"
  target/release/examples/gen --users "$USERS" --out "$INV" >/dev/null
fi

echo "== rendering reports"
render() {
  local name="$1" input="$2" start end
  start=$(date +%s%N)
  "$BIN" report "$input" --html "$OUT/$name.html" --quiet
  end=$(date +%s%N)
  echo "$name: invlint report took $(((end - start) / 1000000)) ms, $(stat -c %s "$OUT/$name.html") bytes"
}
render contoso testdata/inventories/contoso
render "users-$USERS" "$INV"

echo "== opening in $("$CHROMIUM" --version 2>/dev/null | head -1)"
node "$OUT/browser-check.mjs" "$OUT" "$OUT/contoso.html" "$OUT/users-$USERS.html"
