#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seeds from testdata/ (the corpus itself is not committed).
set -euo pipefail
cd "$(dirname "$0")"
root=..
mkdir -p corpus/decode_parse corpus/rules corpus/check_folder
# decode_parse: every fixture export, and the hostile cases.
find "$root/testdata/inventories" "$root/testdata/hostile" -type f \( -name '*.csv' -o -name '*.tsv' \) |
  while read -r f; do cp "$f" "corpus/decode_parse/$(echo "${f#"$root"/}" | tr / _)"; done
# rules: every shipped rule file and table declaration, and the expression fixtures.
find "$root/rules" "$root/testdata/expr" -type f \( -name '*.toml' -o -name '*.txt' \) |
  while read -r f; do cp "$f" "corpus/rules/$(echo "${f#"$root"/}" | tr / _)"; done
# check_folder: the files of each inventory folder joined with the target's separator.
join() {
  local first=1
  for f in "$@"; do
    [ $first -eq 1 ] || printf '\0\0FILE\0\0'
    first=0
    cat "$f"
  done
}
c="$root/testdata/inventories/contoso"
join "$c/users.csv" "$c/Lync_Services_Registrar.csv" "$c/pchat-services.csv" "$c/rooms.csv" \
  "$c/EndpointRegistrations.csv" "$c"/policies/*.csv > corpus/check_folder/contoso
for d in "$root"/testdata/inventories/quirks/*/; do
  mapfile -t files < <(find "$d" -type f \( -name '*.csv' -o -name '*.tsv' \) | sort)
  join "${files[@]}" > "corpus/check_folder/$(basename "$d")"
done
echo "seeds: $(ls corpus/decode_parse | wc -l) decode_parse, $(ls corpus/rules | wc -l) rules, $(ls corpus/check_folder | wc -l) check_folder"
