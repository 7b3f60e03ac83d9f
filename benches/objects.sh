#!/usr/bin/env bash
# What counting objects costs (issue 13): a users export alone, then the same people again in a
# second, overlapping export (a voice-only view of every user), which makes invlint work out
# objects across the two files (identity columns kept, one hash lookup per row and identity
# column, conflicts compared on the kept columns).
#
#   benches/objects.sh                  # 200,000 users, 3 runs each
#   USERS=1000000 RUNS=5 benches/objects.sh
#
# Prints, per case, the median wall time and peak RSS of `invlint check DIR --format json`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${USERS:-200000}
RUNS=${RUNS:-3}
DATA=${BENCH_DATA:-target/bench-data}/objects-$N
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example gen
if [ ! -f "$DATA/one/users.csv" ]; then
  ./target/release/examples/gen --users "$N" --seed 42 --out "$DATA/one" >/dev/null
fi
rm -rf "$DATA/two"
cp -r "$DATA/one" "$DATA/two"
# The voice view: every user again, with the columns of the community "Voice" export.
python3 - "$DATA/one/users.csv" "$DATA/two/voice-view.csv" <<'PY'
import csv, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8-sig", newline="") as f:
    lines = f.read().splitlines(keepends=True)
rows = csv.reader(l for l in lines if not l.startswith("#TYPE"))
header = next(rows)
keep = [header.index(c) for c in ("DisplayName", "SipAddress", "LineURI", "RegistrarPool") if c in header]
with open(dst, "w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow([header[i] for i in keep])
    for r in rows:
        w.writerow([r[i] if i < len(r) else "" for i in keep])
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for case in one two; do
  times=(); rss=()
  for _ in $(seq "$RUNS"); do
    # (invlint exits 1: the generated inventory has planted findings.)
    out=$( { /usr/bin/time -f "%e %M" ./target/release/invlint check "$DATA/$case" --format json --isolated >/dev/null || true; } 2>&1 | tail -1)
    times+=("${out% *}"); rss+=("${out#* }")
  done
  t=$(printf '%s\n' "${times[@]}" | median)
  m=$(printf '%s\n' "${rss[@]}" | median)
  printf '%-4s %8s users  %6s s  %6s MB peak RSS  (median of %s, load %s)\n' \
    "$case" "$N" "$t" "$((m / 1024))" "$RUNS" "$(cut -d' ' -f1 /proc/loadavg)"
done
