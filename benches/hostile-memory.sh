#!/usr/bin/env bash
# Peak memory (and output size) of invlint on the hostile inputs of issue 16: memory must
# follow the columns in use and the findings kept, not the size of one record, one cell or the
# number of findings.
#
#   benches/hostile-memory.sh [INVLINT]      # default ./target/release/invlint
#   SIZE_MB=1024 benches/hostile-memory.sh   # size of the UTF-16 file (default 256)
#   DATA=/tmp/x benches/hostile-memory.sh    # where inputs are generated (default target/hostile-mem)
#
# Prints one line per case: peak RSS in MB (/usr/bin/time), exit code, seconds, and for the
# big-cell case the size of the JSON and HTML outputs. Every run is bounded by `timeout`
# (LIMIT seconds, default 300); a case that hits it prints `timeout`.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-./target/release/invlint}
DATA=${DATA:-target/hostile-mem}
SIZE_MB=${SIZE_MB:-256}
LIMIT=${LIMIT:-300}
mkdir -p "$DATA"
HEADER='"Identity","DisplayName","SipAddress","UserPrincipalName","SamAccountName","Enabled","RegistrarPool","HostingProvider"'

gen() { # name, python code writing the file to sys.argv[1]
  [ -s "$DATA/$1" ] || python3 -c "$2" "$DATA/$1"
}
gen long-line.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER'.replace('\"','\"')+'\n')
    f.write('a'*(50<<20)+'\n')
    f.write('\"CN=b\",\"B\",\"sip:b@contoso.com\",\"b@contoso.com\",\"b\",\"True\",\"pool.contoso.com\",\"SRV:\"\n')
"
gen long-line-200.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    f.write('a'*(200<<20)+'\n')
"
gen open-quote-200.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    f.write('\"CN=a\",\"' + 'x\n'*(100<<20) + '\n')
"
gen utf16-one-line.csv "
import sys
with open(sys.argv[1],'wb') as f:
    f.write(b'\xff\xfe'+('$HEADER\r\n').encode('utf-16-le'))
    chunk=('y'*(1<<20)).encode('utf-16-le')
    for _ in range($SIZE_MB//2): f.write(chunk)
"
gen open-quote.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    f.write('\"CN=a\",\"' + 'x'*(50<<20) + '\n')
"
gen utf16.csv "
import sys
row='\"CN=u{0},OU=x\",\"User {0}\",\"sip:u{0}@contoso.com\",\"u{0}@contoso.com\",\"u{0}\",\"True\",\"pool.contoso.com\",\"SRV:\"\r\n'
target=$SIZE_MB<<20
with open(sys.argv[1],'wb') as f:
    f.write(b'\xff\xfe'+('$HEADER\r\n').encode('utf-16-le'))
    n=0; written=0; chunk=[]
    while written < target:
        s=''.join(row.format(n+i) for i in range(1000)).encode('utf-16-le')
        f.write(s); written+=len(s); n+=1000
"
gen duplicates.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    row='\"CN=u{0}\",\"U\",\"sip:same@contoso.com\",\"u{0}@contoso.com\",\"u{0}\",\"True\",\"pool.contoso.com\",\"SRV:\"\n'
    size=0; i=0
    while size < (10<<20):
        r=row.format(i); f.write(r); size+=len(r); i+=1
"
gen many-findings.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    for i in range(1000000):
        f.write('\"CN=u{0}\",\"U\",\"bad{0}\",\"u{0}@contoso.com\",\"u{0}\",\"True\",\"pool.contoso.com\",\"SRV:\"\n'.format(i))
"
gen big-cell.csv "
import sys
with open(sys.argv[1],'w') as f:
    f.write('$HEADER\n')
    f.write('\"CN=a\",\"A\",\"' + 'y'*(20<<20) + '\",\"a@contoso.com\",\"a\",\"True\",\"pool.contoso.com\",\"SRV:\"\n')
"

measure() { # label, args...
  local label=$1; shift
  local t0 t1 rss code
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$DATA/time.txt" timeout "$LIMIT" "$BIN" "$@" >"$DATA/out" 2>"$DATA/err"
  code=$?
  t1=$(date +%s.%N)
  rss=$(tail -n 1 "$DATA/time.txt" | tr -dc '0-9')
  if [ "$code" = 124 ]; then code=timeout; fi
  printf '%-44s peak %6d MB  exit %-7s %6.1f s  stdout %s bytes\n' "$label" "$(( ${rss:-0} / 1024 ))" "$code" \
    "$(awk "BEGIN{print $t1-$t0}")" "$(stat -c %s "$DATA/out")"
}

echo "invlint: $BIN"
measure "one 50 MB line" check --isolated --format json "$DATA/long-line.csv"
measure "one 200 MB line" check --isolated --format json "$DATA/long-line-200.csv"
measure "quote open over 200 MB of lines" check --isolated --format json "$DATA/open-quote-200.csv"
measure "UTF-16 file of ${SIZE_MB} MB without a line end" check --isolated --format json "$DATA/utf16-one-line.csv"
measure "50 MB unterminated quote" check --isolated --format json "$DATA/open-quote.csv"
measure "UTF-16 file of ${SIZE_MB} MB (utf-16 generated)" check --isolated --format json --max-findings 100 "$DATA/utf16.csv"
measure "10 MB of one repeated SIP, --max-findings 10" check --isolated --format json --max-findings 10 "$DATA/duplicates.csv"
measure "1M malformed SIPs, no cap" check --isolated --format json "$DATA/many-findings.csv"
measure "1M malformed SIPs, --max-findings 100" check --isolated --format json --max-findings 100 "$DATA/many-findings.csv"
measure "20 MB cell, JSON" check --isolated --format json "$DATA/big-cell.csv"
rm -f "$DATA/page.html"
measure "20 MB cell, report --html" report --isolated "$DATA/big-cell.csv" --html "$DATA/page.html"
echo "  html page: $(stat -c %s "$DATA/page.html" 2>/dev/null || echo 0) bytes"
