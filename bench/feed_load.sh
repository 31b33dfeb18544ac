#!/usr/bin/env bash
# Feed latency under load: starts `foryou serve` on the KuaiRand demo, runs GET /v1/feed for random
# users at a fixed rate (wrk, paced by bench/feed_load/*.lua) while a second wrk posts ~2,000
# events/s to POST /v1/events, and reports the feed's achieved rate, p50 / p99 latency and errors.
# Then steps the feed rate up (10 s per step) to find the highest rate that still keeps
# p99 <= 20 ms with no errors and >= 90% of the target rate served.
#
# Usage: bench/feed_load.sh [--fresh] [--rps N] [--secs N] [--steps "300 400 ..." | --no-steps]
#                           [--step-secs N] [--conns N] [--event-rps N] [--server-threads N]
# Environment (the flags win): FORYOU_BIN (default build/release/foryou; nothing is built),
#   FEED_LOAD_DATA (cache dir, default build/feed_load_data), FEED_LOAD_FRESH=1, FEED_LOAD_RPS (200),
#   FEED_LOAD_SECS (20), FEED_LOAD_STEPS, FEED_LOAD_STEP_SECS (10), FEED_LOAD_CONNS (16),
#   FEED_LOAD_EVENT_RPS (100 requests/s; 0: no events), FEED_LOAD_EVENT_BATCH (20 events per request),
#   FEED_LOAD_SERVER_THREADS (128), FEED_LOAD_P99_MS (20), FEED_LOAD_SERVE_ARGS (more `foryou serve`
#   flags, e.g. "--feed-config config/feed_log_imitation.json").
# Needs wrk, curl, jq. Progress goes to stderr; the last line, on stdout, is
#   feed_load rps=.. p50_ms=.. p99_ms=.. errors=.. events_per_s=.. max_rps_at_p99_20ms=..
#             cpu_ms_per_feed=.. stages_ms=retrieval:..,eligibility:..,scoring:..,rules:..,serialisation:..
#             [steps_p99_ms=RATE:P99,...]
# (the base run's figures; cpu_ms_per_feed is the server's CPU time, event ingest and training
# included, over the feeds served; stages_ms the mean of each stage of a feed request, from the
# server's foryou_feed_stage_seconds histograms: "n/a" for a server without them; steps_p99_ms the
# p99 of each rate step run, up to the first that failed).
#
# Data: the first run imports the catalog and trains the model from the week's log into
# $FEED_LOAD_DATA/seed (~45 s, more on a busy machine); every run then serves from a fresh copy of
# it, so runs start in a few seconds and the events one run posts do not change the next one.
# --fresh rebuilds the seed (do it when the data format of the binary changed; a seed the binary
# cannot start from is rebuilt automatically).
#
# The server runs with --threads 128: binaries with the cpp-httplib server keep one handler
# thread per keep-alive connection for as long as it stays open (with 8 threads, wrk's 16 + 16
# connections would leave half of them waiting for a thread); the Beast server's io threads are
# only busy while a request is handled, so the same value keeps runs of both comparable.
# Rates: Debian's wrk has no -R, so each wrk thread hands out request slots 1/rate apart through
# the delay() hook (bench/feed_load/pace.lua); wrk's latency counts from each request's send.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$script")/.."
repo="$(pwd)"

bin="${FORYOU_BIN:-build/release/foryou}"
cache="${FEED_LOAD_DATA:-build/feed_load_data}"
fresh="${FEED_LOAD_FRESH:-0}"
rps="${FEED_LOAD_RPS:-200}"
secs="${FEED_LOAD_SECS:-20}"
steps="${FEED_LOAD_STEPS:-300 400 500 600 800 1200 1600 2400 3200}"
step_secs="${FEED_LOAD_STEP_SECS:-10}"
conns="${FEED_LOAD_CONNS:-16}"
event_rps="${FEED_LOAD_EVENT_RPS:-100}"
event_batch="${FEED_LOAD_EVENT_BATCH:-20}"
event_conns=16
server_threads="${FEED_LOAD_SERVER_THREADS:-128}"
p99_limit="${FEED_LOAD_P99_MS:-20}"
demo=demo/kuairand
seed_log="$demo/log_standard_20220425_20220430.csv.zst"

usage() { sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --fresh) fresh=1 ;;
    --rps) rps="$2"; shift ;;
    --secs) secs="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --no-steps) steps="" ;;
    --step-secs) step_secs="$2"; shift ;;
    --conns) conns="$2"; shift ;;
    --event-rps) event_rps="$2"; shift ;;
    --server-threads) server_threads="$2"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "feed_load: unknown argument $1" >&2; usage 2 ;;
  esac
  shift
done

log() { echo "feed_load: $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in wrk curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
[ -f "$seed_log" ] || die "$seed_log is missing"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
lua_dir="$repo/bench/feed_load"

# ---- Server ----
server_pid=""
run_dir=""
bg_pids=()
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  local pid
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_server
  [ -n "$run_dir" ] && rm -rf "$run_dir"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server DIR TIMEOUT_S OUT: starts serve on DIR on a free port, its stdout / stderr to
# OUT.stdout / OUT.stderr; sets server_pid, base, key. Returns 1 when the server exits or is not
# healthy in time.
start_server() {
  local dir="$1" timeout_s="$2" out="$3" port="" i
  "$bin" serve --data-dir "$dir" --import "$demo" --seed-log "$seed_log" --port 0 \
    --threads "$server_threads" ${FEED_LOAD_SERVE_ARGS:-} >"$out.stdout" 2>"$out.stderr" &
  server_pid=$!
  for ((i = 0; i < timeout_s * 5; i++)); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true; server_pid=""
      log "the server exited:"; tail -5 "$out.stderr" >&2; return 1
    fi
    [ -z "$port" ] && port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$out.stdout" | sed 's/.*://')" || true
    if [ -n "$port" ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      base="http://127.0.0.1:$port"
      key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$dir/keys.json")"
      [ -n "$key" ] && [ "$key" != null ] || die "no app key in $dir/keys.json"
      return 0
    fi
    sleep 0.2
  done
  log "the server was not healthy after ${timeout_s} s"; tail -5 "$out.stderr" >&2
  stop_server; return 1
}

# Seed once: import + train into $cache/seed, stop the server cleanly, mark the seed complete.
make_seed() {
  rm -rf "$cache/seed" "$cache/seed.stdout" "$cache/seed.stderr"
  mkdir -p "$cache/seed"
  log "seeding $cache/seed: importing $demo and training from the log (~45 s, once)..."
  local t0=$SECONDS
  start_server "$cache/seed" 900 "$cache/seed" || die "seeding failed (see $cache/seed.stderr)"
  stop_server
  date -u +%FT%TZ >"$cache/seed/.feed_load_complete"
  log "seeded in $((SECONDS - t0)) s"
}

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
out_dir="$cache/last"  # this run's server output, wrk outputs and /metrics snapshots
rm -rf "$out_dir"; mkdir -p "$out_dir"
if [ "$fresh" = 1 ] || [ ! -f "$cache/seed/.feed_load_complete" ]; then make_seed; fi
start_run_server() {
  run_dir="$(mktemp -d "$cache/run.XXXXXX")"
  cp -a "$cache/seed/." "$run_dir/"
  start_server "$run_dir" 300 "$out_dir/server"
}
if ! start_run_server; then
  rm -rf "$run_dir"; run_dir=""
  log "cannot start from the cached seed: rebuilding it"
  make_seed
  start_run_server || die "the server does not start (see $out_dir/server.stderr)"
fi
log "server $bin (pid $server_pid) at $base, --threads $server_threads, data $run_dir"
log "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- Helpers ----
# wrk's "812.00us", "1.23ms", "2.01s" -> milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1;
                         else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000;
                         printf "%.2f", n }'
}
wrk_rps() { awk '/^Requests\/sec/ { printf "%.1f", $2 }' "$1"; }
wrk_pct() { to_ms "$(awk -v p="$2" '$1 == p { print $2 }' "$1")"; }
wrk_secs() { awk '/requests in/ { sub(/s,$/, "", $4); print $4 + 0 }' "$1"; }
wrk_errors() {  # non-2xx/3xx responses + socket errors
  awk -F'[ ,]+' '/Socket errors/ { s += $4 + $6 + $8 + $10 } /Non-2xx/ { s += $NF } END { print s + 0 }' "$1"
}
metric_sum() {  # metric_sum FILE REGEX: sum of the samples whose name{labels} matches
  awk -v re="$2" '$0 !~ /^#/ && $1 ~ re { s += $2 } END { printf "%.6f", s + 0 }' "$1"
}
server_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server_pid/stat"; }
calc() { awk "BEGIN { printf \"%$1\", $2 }"; }

# sample_feeds LABEL N: N feeds of random users with curl; prints candidates / eligible / items.
sample_feeds() {
  local i user out
  for ((i = 0; i < $2; i++)); do
    user=$((RANDOM * 32768 + RANDOM))
    user=$((user % 27285))
    out="$(curl -s -w '\n%{http_code} %{time_total}' -H "X-Api-Key: $key" \
           "$base/v1/feed?user=$user&count=10")"
    local code time body cands
    read -r code time <<<"$(tail -1 <<<"$out")"
    body="$(sed '$d' <<<"$out")"
    cands="$(jq -r '.candidates // "none"' <<<"$body" 2>/dev/null || echo none)"
    log "  $1 feed user=$user: HTTP $code in $(calc .1f "$time * 1000") ms, candidates=$cands" \
        "eligible=$(jq -r '.eligible // "-"' <<<"$body" 2>/dev/null) items=$(jq -r '.items | length' <<<"$body" 2>/dev/null)" \
        "$( [ "$cands" != none ] && [ "$cands" -ge 500 ] && echo "(>= 500 ok)" || echo "(WARNING: fewer than 500 candidates)")"
  done
}

# run_load RATE SECS TAG [probe]: feed wrk at RATE/s + events wrk for SECS; with "probe", also
# /healthz at 20/s under the same load. Sets r_rps r_p50 r_p90 r_p99 r_max r_errors r_ev_rps
# r_ev_errors r_ev_accepted r_ev_rejected r_ev_per_s r_srv_ms r_cpu_ms r_conns.
run_load() {
  local rate="$1" dur="$2" tag="$3" probe="${4:-}" dir="$out_dir"
  local c
  c=$(( (rate + 24) / 25 )); [ "$c" -lt "$conns" ] && c="$conns"
  local cmax=$(( server_threads - event_conns - 8 )); [ "$c" -gt "$cmax" ] && c="$cmax"
  r_conns="$c"
  curl -s "$base/metrics" >"$dir/$tag.m0"
  local cpu0; cpu0="$(server_cpu_ticks)"
  local common=(FEED_LOAD_LUA_DIR="$lua_dir" FEED_LOAD_KEY="$key" FEED_LOAD_THREADS=1)
  local ev_pid=""
  if [ "$event_rps" -gt 0 ]; then
    env "${common[@]}" FEED_LOAD_CONNS="$event_conns" FEED_LOAD_EVENT_RATE="$event_rps" \
      FEED_LOAD_EVENT_BATCH="$event_batch" \
      wrk -t1 -c"$event_conns" -d"${dur}s" --timeout 5s --latency -s "$lua_dir/events.lua" "$base/" \
      >"$dir/$tag.events" 2>&1 &
    ev_pid=$!; bg_pids+=("$ev_pid")
  else
    printf 'Requests/sec: 0\n0 requests in %ss, 0B read\n' "$dur" >"$dir/$tag.events"
  fi
  local probe_pid="" sample_pid=""
  if [ -n "$probe" ]; then
    env "${common[@]}" FEED_LOAD_CONNS=2 FEED_LOAD_RATE=20 FEED_LOAD_PATH=/healthz \
      wrk -t1 -c2 -d"${dur}s" --timeout 5s --latency -s "$lua_dir/feed.lua" "$base/" \
      >"$dir/$tag.healthz" 2>&1 &
    probe_pid=$!; bg_pids+=("$probe_pid")
    ( sleep "$(( dur / 2 ))"; sample_feeds "under load:" 3 ) &
    sample_pid=$!; bg_pids+=("$sample_pid")
  fi
  env "${common[@]}" FEED_LOAD_CONNS="$c" FEED_LOAD_RATE="$rate" \
    wrk -t1 -c"$c" -d"${dur}s" --timeout 5s --latency -s "$lua_dir/feed.lua" "$base/" \
    >"$dir/$tag.feed" 2>&1 || die "wrk failed: $(cat "$dir/$tag.feed")"
  if [ -n "$ev_pid" ]; then wait "$ev_pid" || die "events wrk failed: $(cat "$dir/$tag.events")"; fi
  if [ -n "$probe_pid" ]; then wait "$probe_pid" || true; wait "$sample_pid" || true; fi
  bg_pids=()
  local cpu1; cpu1="$(server_cpu_ticks)"
  curl -s "$base/metrics" >"$dir/$tag.m1"
  grep -q 'Latency Distribution' "$dir/$tag.feed" || die "no latency in wrk's output: $(cat "$dir/$tag.feed")"
  r_rps="$(wrk_rps "$dir/$tag.feed")"
  r_p50="$(wrk_pct "$dir/$tag.feed" 50%)"
  r_p90="$(wrk_pct "$dir/$tag.feed" 90%)"
  r_p99="$(wrk_pct "$dir/$tag.feed" 99%)"
  r_max="$(to_ms "$(awk '$1 == "Latency" { print $4; exit }' "$dir/$tag.feed")")"
  r_errors="$(wrk_errors "$dir/$tag.feed")"
  r_ev_rps="$(wrk_rps "$dir/$tag.events")"
  r_ev_errors="$(wrk_errors "$dir/$tag.events")"
  local ev0 ev1 rj0 rj1
  ev0="$(metric_sum "$dir/$tag.m0" '^foryou_events_total')"
  ev1="$(metric_sum "$dir/$tag.m1" '^foryou_events_total')"
  rj0="$(metric_sum "$dir/$tag.m0" '^foryou_events_rejected_total')"
  rj1="$(metric_sum "$dir/$tag.m1" '^foryou_events_rejected_total')"
  r_ev_accepted="$(calc .0f "$ev1 - $ev0")"
  r_ev_rejected="$(calc .0f "$rj1 - $rj0")"
  r_ev_per_s="$(calc .0f "$r_ev_accepted / $(wrk_secs "$dir/$tag.events")")"
  # Server side: time inside the /v1/feed handler (its histogram), CPU per feed request.
  local s0 s1 n0 n1
  s0="$(metric_sum "$dir/$tag.m0" '^foryou_http_request_seconds_sum\\{route="/v1/feed"')"
  s1="$(metric_sum "$dir/$tag.m1" '^foryou_http_request_seconds_sum\\{route="/v1/feed"')"
  n0="$(metric_sum "$dir/$tag.m0" '^foryou_http_request_seconds_count\\{route="/v1/feed"')"
  n1="$(metric_sum "$dir/$tag.m1" '^foryou_http_request_seconds_count\\{route="/v1/feed"')"
  r_srv_ms="$(calc .2f "($n1 > $n0) ? ($s1 - $s0) * 1000 / ($n1 - $n0) : 0")"
  r_cpu_ms="$(calc .2f "($n1 > $n0) ? ($cpu1 - $cpu0) * 1000 / $(getconf CLK_TCK) / ($n1 - $n0) : 0")"
  # Mean time per feed of each stage (foryou_feed_stage_seconds), "n/a" without the histograms.
  local stage
  r_stages=""
  for stage in retrieval eligibility scoring rules serialisation; do
    s0="$(metric_sum "$dir/$tag.m0" "^foryou_feed_stage_seconds_sum\\{stage=\"$stage\"")"
    s1="$(metric_sum "$dir/$tag.m1" "^foryou_feed_stage_seconds_sum\\{stage=\"$stage\"")"
    n0="$(metric_sum "$dir/$tag.m0" "^foryou_feed_stage_seconds_count\\{stage=\"$stage\"")"
    n1="$(metric_sum "$dir/$tag.m1" "^foryou_feed_stage_seconds_count\\{stage=\"$stage\"")"
    r_stages+="${r_stages:+,}$stage:$(awk -v s0="$s0" -v s1="$s1" -v n0="$n0" -v n1="$n1" \
      'BEGIN { if (n1 > n0) printf "%.3f", (s1 - s0) * 1000 / (n1 - n0); else printf "n/a" }')"
  done
  if [ -n "$probe" ]; then
    r_hz_p50="$(wrk_pct "$dir/$tag.healthz" 50%)"
    r_hz_p99="$(wrk_pct "$dir/$tag.healthz" 99%)"
  fi
}

report() {  # report LABEL RATE
  log "$1 target=$2/s conns=$r_conns: rps=$r_rps p50_ms=$r_p50 p90_ms=$r_p90 p99_ms=$r_p99" \
      "max_ms=$r_max errors=$r_errors | server: feed handler mean ${r_srv_ms} ms," \
      "CPU ${r_cpu_ms} ms per feed (incl. event ingest) | events: ${r_ev_rps} req/s," \
      "${r_ev_per_s} accepted/s, rejected=$r_ev_rejected, errors=$r_ev_errors" \
      "| load average $(cut -d' ' -f1-3 /proc/loadavg)"
  log "  stages, mean ms per feed: $r_stages"
}
passes() {  # passes RATE: p99 within the limit, no errors, >= 90% of the rate served
  awk -v p99="$r_p99" -v lim="$p99_limit" -v e="$r_errors" -v got="$r_rps" -v want="$1" \
    'BEGIN { exit !(p99 <= lim && e == 0 && got >= 0.9 * want) }'
}

# ---- Load ----
log "sampling feeds (idle):"
sample_feeds "idle:" 3
# Warm-up (page cache, first-touch allocations), not measured.
run_load "$rps" 3 warmup
log "base: ${secs} s of feeds at ${rps}/s + events at ${event_rps}x${event_batch}/s," \
    "+ /healthz at 20/s as a probe..."
run_load "$rps" "$secs" base probe
report base "$rps"
log "  /healthz under the same load: p50_ms=$r_hz_p50 p99_ms=$r_hz_p99" \
    "(a request with no work: the feed's latency above this is its own CPU time, stretched by" \
    "whatever else wants the cores)"
base_rps="$r_rps" base_p50="$r_p50" base_p99="$r_p99" base_errors="$r_errors"
base_events="$r_ev_per_s" base_cpu="$r_cpu_ms" base_stages="$r_stages"
ev_target=$((event_rps * event_batch))
if awk -v a="$r_ev_per_s" -v t="$ev_target" 'BEGIN { exit !(a < 0.9 * t) }'; then
  log "  WARNING: events accepted at ${r_ev_per_s}/s, below 90% of the ${ev_target}/s offered"
fi
[ "$r_ev_rejected" = 0 ] || log "  WARNING: the server rejected $r_ev_rejected events"

max_ok=0
step_p99=""  # rate:p99 of each step run, for the last line
if passes "$rps"; then
  max_ok="$rps"
  for rate in $steps; do
    [ "$rate" -gt "$rps" ] || continue
    sleep 1
    run_load "$rate" "$step_secs" "step$rate"
    report "step" "$rate"
    step_p99+="${step_p99:+,}$rate:$r_p99"
    if passes "$rate"; then max_ok="$rate"; else
      log "  stop: at $rate/s p99 ${r_p99} ms (limit $p99_limit), errors $r_errors, served $r_rps/s"
      break
    fi
  done
else
  log "the base rate already misses the target (p99 <= $p99_limit ms, no errors, >= 90% served): no steps"
fi
log "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "feed_load rps=$base_rps p50_ms=$base_p50 p99_ms=$base_p99 errors=$base_errors" \
     "events_per_s=$base_events max_rps_at_p99_20ms=$max_ok cpu_ms_per_feed=$base_cpu" \
     "stages_ms=$base_stages${step_p99:+ steps_p99_ms=$step_p99}"
