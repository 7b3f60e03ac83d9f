#!/usr/bin/env bash
# Reads the public real-world exports kept beside the project (../shared/realworld, see its
# README) and checks what invlint must say about them. Run by .ci/run when that folder exists;
# `cargo test` never needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/realworld}
if [ ! -d "$dir" ]; then
  echo "realworld-check: no $dir, nothing to check" >&2
  exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
cargo run --release --locked --quiet -- check "$dir" --format compact --isolated >"$out" || status=$?
fail() { echo "realworld-check: $*" >&2; cat "$out" >&2; exit 1; }
[ "$status" -le 1 ] || fail "exit $status: the run could not be trusted"
# A file is recognised by content, never by name: no CSV006 on files that merely look alike.
! grep -q 'CSV006' "$out" || fail "CSV006 on a real export"
# Microsoft's FastTrack Teams-phone list is not a Get-CsUser export: information at most.
! grep -E 'fasttrack[^:]*\.csv:[0-9]+:[0-9]+: (error|warning)' "$out" || fail "FastTrack list judged as Lync data"
# Not inventory tables: the network template and UcmPSTools' report and input list.
for f in Template_NetworkInformation.csv 'Example Report' New-UcmCsFixedNumberDiversion; do
  grep -q "$f.*info\[CSV005\]" "$out" || fail "$f not reported as unrecognised (CSV005)"
  ! grep -E "$f.*(error|warning)\[" "$out" || fail "$f judged as an inventory table"
done
# The Rebuild-SfBUser input list is a users list: its ragged row and SIP address without
# `sip:` are real problems.
grep -q 'README-example.csv:2:1: error\[CSV001\]' "$out" || fail "ragged row of the input list not found"
grep -q 'README-example.csv:2:6: error\[AD001\]' "$out" || fail "SIP address without sip: not found"
echo "realworld-check: $(wc -l <"$out") lines as expected"
