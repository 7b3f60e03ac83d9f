#!/usr/bin/env bash
# Whole-run benchmarks of invlint against the hand-written reference checker (issue 6).
#
#   benches/run.sh                    # everything, about 10 minutes on 2 cores
#   RUNS=3 benches/run.sh             # fewer timed runs per command (default 5, plus 1 warm-up)
#   RSS_RUNS=5 benches/run.sh         # runs per peak-RSS figure, median taken (default 3)
#   BENCH_DATA=/tmp/bench benches/run.sh   # where inventories are generated (default
#                                     # target/bench-data, about 2.4 GB; reused across runs)
#
# What it does:
#   1. builds invlint, the generator (examples/gen.rs) and the reference checker
#      (benches/reference.rs: PC001, PC002, AD001, AD002, TP001, PC004 written by hand);
#   2. generates inventories: 100,000 and 1,000,000 users (UTF-8), 1,000,000 users UTF-16LE,
#      the 1M one with a 200-byte column no rule reads added to users.csv ("wide"),
#      250,000 users with 40 % defects (about 100,000 findings) and 1,000,000 users with 40 %
#      defects ("many findings": about 400,000);
#   3. checks that the reference and invlint find exactly the same six-rule findings, and that
#      the same six checks in DuckDB SQL (benches/duckdb_checks.py) count as many per code;
#   4. times `invlint check DIR --format json` with all the default packs and the reference,
#      with --jobs 1 and 2 (hyperfine, median of RUNS; installed with apt-get when missing,
#      else a median of repeated runs), measures peak RSS (/usr/bin/time), the bytes of the
#      columns invlint keeps (the referenced columns), the human rendering of 100k findings to
#      a file, and, on the many-findings inventory, time and peak RSS of json, json
#      --lean-json, compact and json --max-findings 100 side by side, and issue 17's yardstick:
#      the default packs against DuckDB's six checks on 1M users with 2 threads, run alternately
#      (DuckDB's Python package is installed with pip when missing; without it those rows are
#      skipped);
#   5. prints a Markdown table with the targets met or missed, also written to
#      target/bench-results.md.
#
# Timings are only meaningful on a quiet machine: the load average is printed before and
# after, and a warning is printed when it is above 0.5.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
DATA=${BENCH_DATA:-target/bench-data}
OUT=target/bench-results.md
INVLINT=./target/release/invlint
GEN=./target/release/examples/gen

log() { printf '%s\n' "$*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }

# --- 1. build ------------------------------------------------------------------------------
log "== building (release)"
cargo build --release --locked --quiet --bin invlint --example gen
REF=$(cargo bench --locked --quiet --bench reference --no-run --message-format=json 2>/dev/null |
  grep '"kind":\["bench"\],[^}]*"name":"reference"' |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
[ -x "$REF" ] || { log "cannot find the reference checker's binary"; exit 1; }

if ! command -v hyperfine >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "== installing hyperfine"
    apt-get install -y hyperfine >/dev/null 2>&1 || true
  fi
fi
HYPERFINE=$(command -v hyperfine || true)
[ -n "$HYPERFINE" ] || log "hyperfine not available: using the median of $RUNS runs timed with date"

# DuckDB runs the six checks from Python (benches/duckdb_checks.py); a machine without its
# package still gets every other figure.
has_duckdb() { python3 -c 'import duckdb' >/dev/null 2>&1; }
duckdb_checks() { python3 benches/duckdb_checks.py "$@"; }
DUCKDB=""
if command -v python3 >/dev/null 2>&1; then
  if ! has_duckdb; then
    log "== installing the duckdb Python package"
    python3 -m pip install --quiet duckdb >/dev/null 2>&1 ||
      pip install --quiet duckdb >/dev/null 2>&1 || true
  fi
  if has_duckdb; then DUCKDB=yes; fi
fi
[ -n "$DUCKDB" ] ||
  log "the duckdb Python package is missing and pip could not install it: DuckDB is skipped"

# --- 2. inventories ------------------------------------------------------------------------
mkdir -p "$DATA"
generate() { # name, generator arguments...
  local name=$1; shift
  local dir="$DATA/$name" stamp="$*"
  if [ -f "$dir/planted.json" ] && [ "$(cat "$dir/.args" 2>/dev/null)" = "$stamp" ]; then
    return
  fi
  log "== generating $name ($stamp)"
  rm -rf "$dir"
  "$GEN" "$@" --out "$dir" >/dev/null
  printf '%s' "$stamp" >"$dir/.args"
}
generate u100k --users 100000 --seed 42
generate u1m --users 1000000 --seed 42
generate u1m-utf16 --users 1000000 --seed 42 --utf16
generate f100k --users 250000 --seed 42 --defects 0.4
generate many1m --users 1000000 --seed 42 --defects 0.4
# The 1M inventory plus a 200-byte column no rule reads, in users.csv.
WIDE="$DATA/u1m-wide"
if [ ! -f "$WIDE/.done" ] || [ "$WIDE/.done" -ot "$DATA/u1m/planted.json" ]; then
  log "== writing u1m-wide"
  rm -rf "$WIDE" && mkdir -p "$WIDE"
  for f in "$DATA/u1m"/*.csv; do [ "$(basename "$f")" = users.csv ] || ln "$f" "$WIDE/" 2>/dev/null || cp "$f" "$WIDE/"; done
  pad=$(printf 'x%.0s' $(seq 200))
  sed -e "2s/\r\$/,\"Notes\"\r/" -e "3,\$s/\r\$/,\"$pad\"\r/" "$DATA/u1m/users.csv" >"$WIDE/users.csv"
  touch "$WIDE/.done"
fi

csv_bytes() { find "$1" -name '*.csv' -printf '%s\n' | awk '{ s += $1 } END { print s }'; }

# --- 3. the reference and invlint agree ------------------------------------------------------
log "== verifying the reference against invlint (six rules, same findings)"
for dir in testdata/inventories/contoso "$DATA/u100k" "$DATA/u1m"; do
  "$REF" "$dir" --verify >/dev/null
done
# DuckDB's SQL reads files by name (a generated inventory's, not contoso's): its counts per code
# must be the reference's, also with about 40,000 findings of each code (many1m).
if [ -n "$DUCKDB" ]; then
  log "== verifying DuckDB's six checks against the reference (findings per code)"
  for name in u100k u1m many1m; do
    ref_counts=$("$REF" "$DATA/$name")
    duck_counts=$(duckdb_checks "$DATA/$name")
    if [ "$duck_counts" != "$ref_counts" ]; then
      log "DuckDB and the reference disagree on $name: DuckDB $duck_counts, reference $ref_counts"
      exit 1
    fi
  done
fi

# --- 4. measurements -----------------------------------------------------------------------
LOAD_BEFORE=$(load1)
if awk "BEGIN { exit !($LOAD_BEFORE > 0.5) }"; then
  log "WARNING: load average $LOAD_BEFORE: other processes compete for the CPU, timings are noisy"
fi

# Median and standard deviation of wall times in seconds, one a line on stdin ("median sd").
median_sd() {
  sort -n | awk '{ t[NR] = $1; s += $1; q += $1 * $1 }
    END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2;
          v = q / NR - (s / NR) ^ 2; printf "%.3f %.3f\n", m, (v > 0 ? sqrt(v) : 0) }'
}

# Wall time of one run of a command, in seconds (its output discarded).
walltime() {
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
  calc "$e - $s" 4
}

# Median and standard deviation of the wall time of a command, in seconds ("median sd").
timeit() {
  if [ -n "$HYPERFINE" ]; then
    local csv
    csv=$(mktemp)
    "$HYPERFINE" -N --style none --warmup 1 --runs "$RUNS" --export-csv "$csv" "$*" >/dev/null
    awk -F, 'NR == 2 { printf "%.3f %.3f\n", $4, $3 + 0 }' "$csv"
    rm -f "$csv"
  else
    local times=() i
    "$@" >/dev/null 2>&1 || true
    for ((i = 0; i < RUNS; i++)); do
      times+=("$(walltime "$@")")
    done
    printf '%s\n' "${times[@]}" | median_sd
  fi
}

# Peak resident set size of a command, in MB: the median of RSS_RUNS runs (default 3). With
# two threads the peak varies by about 10 % from run to run (it depends on how the reading of
# the two parts of a large file overlaps), too much to compare two single runs.
rss() {
  local i peaks=()
  for ((i = 0; i < ${RSS_RUNS:-3}; i++)); do
    /usr/bin/time -f '%M' -o /tmp/invlint-bench-rss "$@" >/dev/null 2>&1 || true
    peaks+=("$(tail -n 1 /tmp/invlint-bench-rss)")
  done
  calc "$(printf '%s\n' "${peaks[@]}" | sort -n | awk '{ p[NR] = $1 } END { print p[int((NR + 1) / 2)] }') / 1024" 0
}

declare -A T SD RSS_MB
ROWS_TABLE=""
for name in u100k u1m u1m-utf16; do
  dir="$DATA/$name"
  bytes=$(csv_bytes "$dir")
  kept=$("$REF" "$dir" --columns | awk -F'\t' '$1 == "TOTAL" { print $3, $4 }')
  rows=${kept% *}
  for j in 1 2; do
    log "== timing $name, $j thread(s)"
    read -r t sd < <(timeit "$INVLINT" check "$dir" --format json --jobs "$j" --exit-zero)
    read -r rt rsd < <(timeit "$REF" "$dir" --jobs "$j")
    T[$name/$j]=$t; SD[$name/$j]=$sd; T[ref/$name/$j]=$rt
    RSS_MB[$name/$j]=$(rss "$INVLINT" check "$dir" --format json --jobs "$j" --exit-zero)
    RSS_MB[ref/$name/$j]=$(rss "$REF" "$dir" --jobs "$j")
    ROWS_TABLE+="| $name | $(calc "$bytes / 1e6" 0) | $rows | $j | $t ± $sd | $(calc "$bytes / 1e6 / $t" 0) | $(calc "$rows / $t / 1e6" 2) M | ${RSS_MB[$name/$j]} | $rt ± $rsd | ${RSS_MB[ref/$name/$j]} | $(calc "$t / $rt") |"$'\n'
  done
done

log "== memory: referenced columns, and a column no rule reads"
KEPT_1M=$("$REF" "$DATA/u1m" --columns | awk -F'\t' '$1 == "TOTAL" { print $4 }')
KEPT_TABLE=$("$REF" "$DATA/u1m" --columns | awk -F'\t' 'NR > 1 && $1 != "TOTAL" && $3 > 1000 {
  printf "| %s | %s | %d | %.1f | %s |\n", $1, $2, $3, $4 / 1e6, $5 }')
RSS_WIDE=$(rss "$INVLINT" check "$WIDE" --format json --jobs 2 --exit-zero)
WIDE_EXTRA=$(( $(csv_bytes "$WIDE") - $(csv_bytes "$DATA/u1m") ))

log "== rendering 100,000 findings to a file"
F="$DATA/f100k"
FINDINGS=$("$INVLINT" check "$F" --format compact -q --exit-zero | wc -l)
HUMAN_TO_FILE="$DATA/human-to-file.sh"
printf '#!/bin/sh\nexec "%s" check "%s" --format human --color never --exit-zero >"%s"\n' \
  "$(realpath "$INVLINT")" "$F" "$DATA/human.txt" >"$HUMAN_TO_FILE"
chmod +x "$HUMAN_TO_FILE"
read -r T_HUMAN SD_HUMAN < <(timeit "$HUMAN_TO_FILE")
read -r T_JSON SD_JSON < <(timeit "$INVLINT" check "$F" --format json --exit-zero)

log "== many findings: 1M users, 40 % defects"
M="$DATA/many1m"
MANY=$("$INVLINT" check "$M" --format compact -q --exit-zero | wc -l)
MANY_TABLE=""
declare -A MT MR
for case in "json:--format json" "lean:--format json --lean-json" "compact:--format compact" \
  "capped:--format json --max-findings 100"; do
  key=${case%%:*} args=${case#*:}
  # shellcheck disable=SC2086 # the arguments are words
  read -r t sd < <(timeit "$INVLINT" check "$M" $args --jobs 2 --exit-zero)
  # shellcheck disable=SC2086
  MR[$key]=$(rss "$INVLINT" check "$M" $args --jobs 2 --exit-zero)
  MT[$key]=$t
  MANY_TABLE+="| \`$args\` | $t ± $sd | ${MR[$key]} |"$'\n'
done

# Issue 17: with few findings, the default packs must take no longer than DuckDB's six checks,
# CSV reading and process start included on both sides. The two alternate round by round (after
# one warm-up each) so that a change in the machine's load hits both alike.
if [ -n "$DUCKDB" ]; then
  log "== invlint against DuckDB's six checks, u1m, 2 threads, alternately"
  inv_times=() duck_times=()
  walltime "$INVLINT" check "$DATA/u1m" --format json --jobs 2 --exit-zero >/dev/null
  walltime duckdb_checks "$DATA/u1m" --threads 2 >/dev/null
  for ((i = 0; i < RUNS; i++)); do
    inv_times+=("$(walltime "$INVLINT" check "$DATA/u1m" --format json --jobs 2 --exit-zero)")
    duck_times+=("$(walltime duckdb_checks "$DATA/u1m" --threads 2)")
  done
  read -r T_INV SD_INV < <(printf '%s\n' "${inv_times[@]}" | median_sd)
  read -r T_DUCK SD_DUCK < <(printf '%s\n' "${duck_times[@]}" | median_sd)
fi
LOAD_AFTER=$(load1)

# --- 5. report -----------------------------------------------------------------------------
ratio=$(calc "${T[u1m/2]} / ${T[ref/u1m/2]}")
utf16=$(calc "${T[u1m-utf16/2]} / ${T[u1m/2]}")
scaling=$(calc "${T[u1m/1]} / ${T[u1m/2]}")
ref_scaling=$(calc "${T[ref/u1m/1]} / ${T[ref/u1m/2]}")
rss_ratio=$(calc "${RSS_MB[u1m/2]} * 1048576 / $KEPT_1M")
render=$(calc "$T_HUMAN - $T_JSON")
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo MISSED; fi; }
DUCK_TARGET="few findings: default packs ≤ DuckDB's six checks (1M, 2 threads, alternating)"
if [ -n "$DUCKDB" ]; then
  DUCK_ROW="| $DUCK_TARGET | $T_INV ± $SD_INV s / $T_DUCK ± $SD_DUCK s = **$(calc "$T_INV / $T_DUCK") ×** | $(verdict "$T_INV <= $T_DUCK") |"
else
  DUCK_ROW="| $DUCK_TARGET | not measured: no duckdb Python package | skipped |"
fi

{
  echo "# invlint benchmarks"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (modified)'),"
  echo "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')),"
  echo "load average $LOAD_BEFORE before and $LOAD_AFTER after; ${HYPERFINE:+hyperfine, }median of $RUNS runs after 1 warm-up."
  echo
  echo "invlint: \`invlint check DIR --format json --jobs N\`, every default rule pack."
  echo "Reference: \`benches/reference.rs DIR --jobs N\`, the six rules PC001 PC002 AD001 AD002 TP001 PC004"
  echo "by hand (same findings as invlint, verified above). MB/s and rows/s are invlint's."
  echo "DuckDB: \`python3 benches/duckdb_checks.py DIR --threads 2\`, the same six checks in SQL over the CSV"
  echo "files (same counts per code as the reference, verified above), timed alternately with invlint."
  echo
  echo "| inventory | MB | rows | threads | invlint s | MB/s | rows/s | invlint RSS MB | reference s | reference RSS MB | invlint / reference |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  printf '%s' "$ROWS_TABLE"
  echo
  echo "Columns invlint holds for the 1M inventory (the columns the default packs reference):"
  echo
  echo "| file | table | rows | MB of cells | columns |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "$KEPT_TABLE"
  echo
  echo "| target | measured | verdict |"
  echo "|---|---|---|"
  echo "| 1M users UTF-8, 2 threads: ≤ 1.5 × the reference | ${T[u1m/2]} s / ${T[ref/u1m/2]} s = **$ratio ×** | $(verdict "$ratio <= 1.5") |"
  echo "| UTF-16LE ≤ 1.3 × its UTF-8 time (1M, 2 threads) | ${T[u1m-utf16/2]} s / ${T[u1m/2]} s = **$utf16 ×** | $(verdict "$utf16 <= 1.3") |"
  echo "| peak RSS ≤ 2 × referenced column bytes (1M, 2 threads) | ${RSS_MB[u1m/2]} MB / $(calc "$KEPT_1M / 1048576" 0) MB = **$rss_ratio ×** | $(verdict "$rss_ratio <= 2") |"
  echo "| RSS not proportional to unreferenced columns | +$(calc "$WIDE_EXTRA / 1048576" 0) MB of unread column: RSS ${RSS_MB[u1m/2]} → $RSS_WIDE MB | $(verdict "$RSS_WIDE - ${RSS_MB[u1m/2]} < $WIDE_EXTRA / 1048576 / 10") |"
  echo "| 2 threads ≥ 1.6 × faster than 1 (1M) | ${T[u1m/1]} s / ${T[u1m/2]} s = **$scaling ×** (reference: $ref_scaling ×) | $(verdict "$scaling >= 1.6") |"
  echo "| $FINDINGS findings in the human format to a file < 2 s | whole run $T_HUMAN s (JSON run $T_JSON s, so rendering ≈ $render s) | $(verdict "$T_HUMAN < 2") |"
  echo "| many findings: json ≤ 1.4 × the time of --max-findings 100 | ${MT[json]} s / ${MT[capped]} s = **$(calc "${MT[json]} / ${MT[capped]}") ×** | $(verdict "${MT[json]} <= 1.4 * ${MT[capped]}") |"
  echo "| many findings: json ≤ 1.3 × the peak RSS of --max-findings 100 | ${MR[json]} MB / ${MR[capped]} MB = **$(calc "${MR[json]} / ${MR[capped]}") ×** | $(verdict "${MR[json]} <= 1.3 * ${MR[capped]}") |"
  echo "$DUCK_ROW"
  echo
  echo "Many findings: \`invlint check many1m ... --jobs 2\` (1,000,000 users, 40 % defects, $MANY findings):"
  echo
  echo "| arguments | s | peak RSS MB |"
  echo "|---|---|---|"
  printf '%s' "$MANY_TABLE"
} | tee "$OUT"
log "written to $OUT"
