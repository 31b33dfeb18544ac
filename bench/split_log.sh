#!/usr/bin/env bash
# Splits a KuaiRand log (plain or .zst, sorted by time) at a date into OUTDIR/warm.csv.zst (rows
# dated before YYYYMMDD) and OUTDIR/eval.csv.zst (the rest), each with the header. The `date`
# column is found by header name and may read 20220429 or 2022-04-29; quoted fields (KuaiRand's
# "39,43" tags) are handled. Prints the row counts.
# Usage: bench/split_log.sh LOG.csv[.zst] YYYYMMDD OUTDIR
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 LOG.csv[.zst] YYYYMMDD OUTDIR" >&2
  exit 2
fi
log=$1 cut=$2 out=$3
if [[ ! $cut =~ ^[0-9]{8}$ ]]; then
  echo "split_log: date must be YYYYMMDD, got '$cut'" >&2
  exit 2
fi
[ -r "$log" ] || { echo "split_log: cannot read $log" >&2; exit 1; }
mkdir -p "$out"

zstdcat -f -- "$log" | awk -v cut="$cut" -v warm="zstd -q -f -o '$out/warm.csv.zst'" \
    -v eval_="zstd -q -f -o '$out/eval.csv.zst'" -v outdir="$out" '
  # Field `col` (1-based) of a CSV record, quotes removed (RFC 4180, one line per record).
  function field(line, col,    i, c, n, q, v) {
    if (index(line, "\"") == 0) { split(line, parts, ","); return parts[col] }
    n = 1; q = 0; v = ""
    for (i = 1; i <= length(line); i++) {
      c = substr(line, i, 1)
      if (q) {
        if (c == "\"") {
          if (substr(line, i + 1, 1) == "\"") { if (n == col) v = v c; i++ } else q = 0
        } else if (n == col) v = v c
      } else if (c == "\"") q = 1
      else if (c == ",") { if (++n > col) break }
      else if (n == col) v = v c
    }
    return v
  }
  { sub(/\r$/, "") }
  NR == 1 {
    for (i = 1; i <= split($0, h, ","); i++) if (h[i] == "date") col = i
    if (!col) { print "split_log: no date column in the header" > "/dev/stderr"; bad = 1; exit 1 }
    print | warm; print | eval_
    next
  }
  $0 == "" { next }
  {
    d = field($0, col); gsub(/-/, "", d)
    if (d < cut) { print | warm; w++ } else { print | eval_; e++ }
  }
  END {
    if (bad) exit 1
    close(warm); close(eval_)
    printf "split_log: %d rows before %s -> %s/warm.csv.zst, %d rows from it on -> %s/eval.csv.zst\n",
           w, cut, outdir, e, outdir
  }
'
