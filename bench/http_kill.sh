#!/usr/bin/env bash
# The HTTP kill test: events posted over HTTP to a real `foryou serve`, the server killed with
# SIGKILL at HTTP_KILL_ROUNDS (3) random moments and restarted on the same data directory. At
# the end, every acknowledged event (a 2xx answer to its POST /v1/events) must be in the event
# log exactly once (no event is ever in it twice), and the trainer must have caught up: /healthz's
# serving_offset reaches log_end_offset. The in-process variant is src/realtime/kill_test.cc.
#
# The catalog is small (HTTP_KILL_USERS users, HTTP_KILL_VIDEOS videos created through the API);
# each event is a play whose request_id is unique ("k<poster>-<n>"), so the log dump
# (`foryou log dump`) can be matched against the acknowledgements. A request cut by the kill is
# not acknowledged and is never retried: its events may or may not be in the log, at most once.
#
# Usage: bench/http_kill.sh    Environment: FORYOU_BIN (default build/release/foryou),
#   HTTP_KILL_ROUNDS (3), HTTP_KILL_POSTERS (3), HTTP_KILL_MIN_MS / HTTP_KILL_MAX_MS (1000 / 4000: the uptime before each
#   kill, uniform), HTTP_KILL_BATCH (20 events per POST), HTTP_KILL_SEED (the kill moments).
# Prints progress on stderr and, last on stdout:
#   http_kill rounds=.. acked=.. logged=.. missing=.. duplicated=.. serving_offset=.. log_end=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${FORYOU_BIN:-build/release/foryou}"
rounds="${HTTP_KILL_ROUNDS:-3}"
min_ms="${HTTP_KILL_MIN_MS:-1000}"
max_ms="${HTTP_KILL_MAX_MS:-4000}"
batch="${HTTP_KILL_BATCH:-20}"
users="${HTTP_KILL_USERS:-10}"
videos="${HTTP_KILL_VIDEOS:-30}"
posters="${HTTP_KILL_POSTERS:-3}"
RANDOM="${HTTP_KILL_SEED:-$$}"

log() { echo "http_kill: $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"

work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_http_kill.XXXXXX")"
data="$work/data"
server_pid="" poster_pids=()
cleanup() {
  [ "${#poster_pids[@]}" -gt 0 ] && kill "${poster_pids[@]}" 2>/dev/null
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
  wait 2>/dev/null
  if [ "${keep:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server: serve $data at $port (0 the first time: any free port, kept for the restarts).
port=0
source bench/kill_lib.sh
start_server() { serve_and_wait --threads 8; }

mkdir -p "$data"
start_server
make_catalog
log "server pid $server_pid at $base: $users users, $videos videos"

: >"$work/acked.txt"
poster_pids=()
for ((p = 0; p < posters; p++)); do
  poster "$p" &
  poster_pids+=($!)
done

acked_count() { wc -l <"$work/acked.txt"; }
for ((r = 1; r <= rounds; r++)); do
  before="$(acked_count)"
  up_ms=$(( min_ms + RANDOM % (max_ms - min_ms + 1) ))
  sleep "$(awk -v ms="$up_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  log "round $r: killed after ${up_ms} ms up; $(( $(acked_count) - before )) batches acknowledged in the round"
  start_server
  log "round $r: restarted (pid $server_pid)"
done
sleep 1
kill "${poster_pids[@]}"; wait "${poster_pids[@]}" 2>/dev/null || true; poster_pids=()

# The trainer catches up with the log.
serving=0 end=-1
for _ in $(seq 600); do
  hz="$(curl -s --max-time 2 "$base/healthz" || true)"
  serving="$(jq -r '.serving_offset // 0' <<<"$hz" 2>/dev/null || echo 0)"
  end="$(jq -r '.log_end_offset // -1' <<<"$hz" 2>/dev/null || echo -1)"
  [ "$serving" = "$end" ] && break
  sleep 0.1
done
log "healthz: serving_offset=$serving log_end_offset=$end"
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

# Every acknowledged id once in the log; no id twice.
"$bin" log dump --data-dir "$data" >"$work/log.jsonl" || die "foryou log dump failed"
jq -r 'select(.event.request_id != null) | .event.request_id' "$work/log.jsonl" | grep '^k' |
  sort >"$work/logged.txt" || true
acked_ids "$work/acked_ids.txt"
acked="$(wc -l <"$work/acked_ids.txt")"
logged="$(wc -l <"$work/logged.txt")"
duplicated="$(uniq -d "$work/logged.txt" | wc -l)"
missing="$(comm -23 "$work/acked_ids.txt" <(uniq "$work/logged.txt") | wc -l)"
undecodable="$(jq -r 'select(.error != null) | .offset' "$work/log.jsonl" | wc -l)"
log "acknowledged $acked events, $logged in the log ($((logged - acked + missing)) from unacknowledged" \
    "requests), missing $missing, duplicated $duplicated, undecodable records $undecodable"
[ -s "$work/poster.errors" ] && { log "$(head -3 "$work/poster.errors")"; }
verdict=PASS
if [ "$missing" != 0 ] || [ "$duplicated" != 0 ] || [ "$undecodable" != 0 ] || [ "$acked" = 0 ] ||
   [ "$serving" != "$end" ] || [ -s "$work/poster.errors" ]; then
  verdict=FAIL
  keep=1
fi
echo "http_kill rounds=$rounds acked=$acked logged=$logged missing=$missing" \
     "duplicated=$duplicated serving_offset=$serving log_end=$end $verdict"
[ "$verdict" = PASS ]
