#!/usr/bin/env bash
# Memory soak: `foryou serve` on the KuaiRand demo under the feed benchmark's steady load (GET
# /v1/feed at 200/s and POST /v1/events at 2,000 events/s, bench/feed_load/*.lua) for
# SOAK_SECONDS (default 1800), with the server's RSS sampled every SOAK_SAMPLE_SECONDS (10).
# PASS when the RSS at the end is less than SOAK_MAX_GROWTH_PCT (5) above the RSS at the end of
# the warm-up (the first SOAK_WARMUP_SECONDS, default 300: caches, the model's rows and the
# allocator's pools fill there), no request failed and the server is still healthy. Each end is
# the mean of the samples of its last SOAK_AVG_SECONDS (120; bench/soak_rss.awk): single samples
# swing by more than the 5% allowed; the summary prints the samples' spread beside the growth.
#
# Usage: bench/soak.sh     Environment: SOAK_SECONDS, SOAK_WARMUP_SECONDS, SOAK_SAMPLE_SECONDS,
#   SOAK_MAX_GROWTH_PCT, SOAK_AVG_SECONDS, SOAK_RPS (200), SOAK_EVENT_RPS (100 requests/s of SOAK_EVENT_BATCH=20
#   events), FORYOU_BIN (default build/release/foryou; nothing is built), FEED_LOAD_DATA (the
#   seed cache shared with bench/feed_load.sh, which creates it when missing), SOAK_SERVE_ENV
#   (environment for the server, e.g. "MALLOC_ARENA_MAX=8" to compare allocator settings).
# Needs wrk, curl, jq. Progress on stderr; stdout ends with the RSS series summary, then
#   soak seconds=.. rss_mb_warm=.. rss_mb_end=.. growth_pct=.. noise_pct=.. errors=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

bin="${FORYOU_BIN:-build/release/foryou}"
cache="${FEED_LOAD_DATA:-build/feed_load_data}"
secs="${SOAK_SECONDS:-1800}"
warmup="${SOAK_WARMUP_SECONDS:-300}"
sample="${SOAK_SAMPLE_SECONDS:-10}"
max_growth="${SOAK_MAX_GROWTH_PCT:-5}"
avg="${SOAK_AVG_SECONDS:-120}"
rps="${SOAK_RPS:-200}"
event_rps="${SOAK_EVENT_RPS:-100}"
event_batch="${SOAK_EVENT_BATCH:-20}"
conns=16 event_conns=16 server_threads=128
demo=demo/kuairand
seed_log="$demo/log_standard_20220425_20220430.csv.zst"
lua_dir="$repo/bench/feed_load"

log() { echo "soak: $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in wrk curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
[ "$warmup" -lt "$secs" ] || die "SOAK_WARMUP_SECONDS ($warmup) must be below SOAK_SECONDS ($secs)"
[ "$avg" -ge "$sample" ] && [ "$avg" -le "$warmup" ] && [ "$avg" -le $((secs - warmup)) ] ||
  die "SOAK_AVG_SECONDS ($avg) must be at least SOAK_SAMPLE_SECONDS and at most the warm-up and the rest"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

# The seed (catalog imported, model trained) is bench/feed_load.sh's: a short run creates it.
if [ ! -f "$cache/seed/.feed_load_complete" ]; then
  log "no seed in $cache: creating it with bench/feed_load.sh"
  FORYOU_BIN="$bin" FEED_LOAD_DATA="$cache" bench/feed_load.sh --secs 3 --no-steps >/dev/null
fi
cache="$(cd "$cache" && pwd)"
run_dir="$(mktemp -d "$cache/soak.XXXXXX")"
out="$run_dir.out"
mkdir -p "$out"
server_pid="" bg_pids=()
cleanup() {
  local pid
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp -a "$cache/seed/." "$run_dir/"
env ${SOAK_SERVE_ENV:-} "$bin" serve --data-dir "$run_dir" --import "$demo" --seed-log "$seed_log" \
  --port 0 --threads "$server_threads" >"$out/server.stdout" 2>"$out/server.stderr" &
server_pid=$!
port=""
for _ in $(seq 1500); do
  kill -0 "$server_pid" 2>/dev/null || { tail -5 "$out/server.stderr" >&2; die "the server exited"; }
  [ -z "$port" ] && port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$out/server.stdout" | sed 's/.*://')" || true
  if [ -n "$port" ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then break; fi
  sleep 0.2
done
base="http://127.0.0.1:$port"
curl -sf -o /dev/null "$base/healthz" || die "the server is not healthy (see $out/server.stderr)"
key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$run_dir/keys.json")"
log "server $bin (pid $server_pid) at $base${SOAK_SERVE_ENV:+ with $SOAK_SERVE_ENV}; ${secs} s of" \
    "feeds at ${rps}/s + $((event_rps * event_batch)) events/s; RSS every ${sample} s"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || echo 0; }
# What the model's state holds, to tell data growth from allocator growth: the embedding table's
# bytes (MB) and rows, and the watch-next co-visitation pairs.
# Then where the RSS is: the heap in use and the allocator's resident bytes beyond it (MB), and
# the process's anonymous and file-backed resident memory (MB, /proc/PID/smaps_rollup).
state() {
  curl -s --max-time 5 "$base/metrics" | awk '
    $1 == "foryou_table_bytes" { b = $2 } $1 == "foryou_table_rows" { r = $2 }
    $1 == "foryou_watch_next_pairs" { p = $2 }
    $1 == "foryou_malloc_in_use_bytes" { u = $2 } $1 == "foryou_malloc_free_bytes" { f = $2 }
    END { printf "%.1f %d %d %.1f %.1f", b / 1048576, r, p, u / 1048576, f / 1048576 }'
  awk '/^Anonymous:/ { a = $2 } /^Rss:/ { r = $2 }
    END { printf " %.1f %.1f", a / 1024, (r - a) / 1024 }' "/proc/$server_pid/smaps_rollup" 2>/dev/null
}
common=(FEED_LOAD_LUA_DIR="$lua_dir" FEED_LOAD_KEY="$key" FEED_LOAD_THREADS=1)
env "${common[@]}" FEED_LOAD_CONNS="$event_conns" FEED_LOAD_EVENT_RATE="$event_rps" \
  FEED_LOAD_EVENT_BATCH="$event_batch" \
  wrk -t1 -c"$event_conns" -d"${secs}s" --timeout 5s -s "$lua_dir/events.lua" "$base/" \
  >"$out/events.wrk" 2>&1 &
bg_pids+=($!)
env "${common[@]}" FEED_LOAD_CONNS="$conns" FEED_LOAD_RATE="$rps" \
  wrk -t1 -c"$conns" -d"${secs}s" --timeout 5s -s "$lua_dir/feed.lua" "$base/" \
  >"$out/feed.wrk" 2>&1 &
bg_pids+=($!)

# The memory gauges (docs/design/memory.md: entries and estimated bytes of each growing
# structure), saved at the end of the warm-up and at the end of the run, and every minute to gauges.tsv.
memory_gauges() {
  curl -s --max-time 5 "$base/metrics" |
    awk '$1 ~ /^foryou_(sessions|behaviour|join|watch_next|table|malloc|rocksdb|process)_/ && $1 !~ /_total$/ { print $1, $2 }'
}
# t_s rss_kb table_mb table_rows covis_pairs heap_in_use_mb heap_free_mb anon_mb file_mb, one line
# per sample, from the start of the load.
series="$out/rss.tsv"
: >"$series"
start=$SECONDS
while [ $((SECONDS - start)) -lt "$secs" ]; do
  kill -0 "$server_pid" 2>/dev/null || break
  echo "$((SECONDS - start)) $(rss_kb) $(state)" >>"$series"
  t=$((SECONDS - start))
  if [ "$t" -le "$warmup" ] || [ ! -s "$out/gauges.warm" ]; then memory_gauges >"$out/gauges.warm"; fi
  if [ $((t % 60)) -lt "$sample" ]; then
    log "t=${t}s rss=$(($(rss_kb) / 1024)) MB load $(cut -d' ' -f1-3 /proc/loadavg)"
    memory_gauges | sed "s/^/$t /" >>"$out/gauges.tsv"
  fi
  sleep "$sample"
done
for pid in "${bg_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
bg_pids=()
echo "$((SECONDS - start)) $(rss_kb) $(state)" >>"$series"
memory_gauges >"$out/gauges.end"

wrk_errors() {  # non-2xx/3xx responses + socket errors; "missing" when wrk printed no summary
  grep -q 'requests in' "$1" || { echo missing; return; }
  awk -F'[ ,]+' '/Socket errors/ { s += $4 + $6 + $8 + $10 } /Non-2xx/ { s += $NF } END { print s + 0 }' "$1"
}
feed_errors="$(wrk_errors "$out/feed.wrk")"
event_errors="$(wrk_errors "$out/events.wrk")"
healthy=1
curl -sf -o /dev/null --max-time 5 "$base/healthz" || healthy=0
rejected="$(curl -s "$base/metrics" | awk '$1 ~ /^foryou_events_rejected_total/ { s += $2 } END { print s + 0 }')"

# The summary: the series at every minute, the warm RSS (last sample at or before the warm-up's
# end), the end RSS, min / max after the warm-up.
echo "soak RSS series, one sample a minute (the model's state beside it: embedding table MB and"
echo "rows, watch-next co-visitation pairs; the heap in use + the allocator's resident beyond it;"
echo "the process's anonymous and file-backed resident memory):"
awk -v s="$sample" '{ if ($1 % 60 < s) printf "  t=%5ds  rss %7.1f MB  table %7.1f MB %9d rows  covis %9d pairs  heap %7.1f + %6.1f MB  anon %7.1f file %6.1f MB\n", $1, $2 / 1024, $3, $4, $5, $6, $7, $8, $9 }' "$series"
read -r warm_kb end_kb warm_sd end_sd warm_n end_n min_kb max_kb slope <<<"$(
  awk -v warmup="$warmup" -v secs="$secs" -v avg="$avg" -f bench/soak_rss.awk "$series")"
growth="$(awk -v a="$warm_kb" -v b="$end_kb" 'BEGIN { printf("%.1f", (a > 0) ? (b - a) * 100 / a : 999) }')"
# The noise of the growth: the standard error of the difference of the two means, in % of warm.
noise="$(awk -v a="$warm_kb" -v sa="$warm_sd" -v na="$warm_n" -v sb="$end_sd" -v nb="$end_n" \
  'BEGIN { printf("%.1f", (a > 0 && na > 0 && nb > 0) ? sqrt(sa * sa / na + sb * sb / nb) * 100 / a : 0) }')"
echo "memory gauges at the end of the warm-up -> at the end, the largest growth first (bytes"
echo "gauges in MB; the mean RSS grew $(awk -v a="$warm_kb" -v b="$end_kb" 'BEGIN { printf "%.1f", (b - a) / 1024 }') MB):"
join <(sort "$out/gauges.warm") <(sort "$out/gauges.end") | awk '
  { d = $3 - $2; mb = ($1 ~ /_bytes$/) ? 1048576 : 1; unit = (mb > 1) ? " MB" : ""
    printf "%s %.3f  %-40s %12.1f -> %12.1f%s (%+.1f)\n", ($1 ~ /_bytes$/) ? 1 : 0, d / mb, $1, $2 / mb, $3 / mb, unit, d / mb }' |
  sort -k1,1nr -k2,2gr | cut -d' ' -f3- | sed 's/^/  /'
echo "RSS mean of the last ${avg} s of the warm-up $((warm_kb / 1024)) MB (sd $((warm_sd / 1024)) MB," \
     "$warm_n samples), of the run $((end_kb / 1024)) MB (sd $((end_sd / 1024)) MB, $end_n samples);" \
     "after the warm-up: min $((min_kb / 1024)) MB, max $((max_kb / 1024)) MB, trend" \
     "$(awk -v k="$slope" 'BEGIN { printf "%+.2f", k / 1024 }') MB/min"
echo "feed: $(awk '/^Requests\/sec/ { print $2 }' "$out/feed.wrk") req/s, errors $feed_errors;" \
     "events: $(awk '/^Requests\/sec/ { print $2 }' "$out/events.wrk") req/s, errors $event_errors," \
     "rejected $rejected; healthy at the end: $healthy"
errors=$(( ${feed_errors/missing/1} + ${event_errors/missing/1} + rejected + (1 - healthy) ))
verdict=FAIL
if [ "$errors" -eq 0 ] && awk -v g="$growth" -v m="$max_growth" 'BEGIN { exit !(g != "" && g + 0 < m + 0) }'; then
  verdict=PASS
fi
echo "soak seconds=$secs rss_mb_warm=$((warm_kb / 1024)) rss_mb_end=$((end_kb / 1024))" \
     "growth_pct=$growth noise_pct=$noise errors=$errors $verdict"
