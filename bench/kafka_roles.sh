#!/usr/bin/env bash
# The trainer and an API replica as separate processes on Kafka (docs/design/kafka.md, "Roles"):
# `foryou kafka-mock --partitions 1` (one event partition, so /v1/events' `offset` is exact),
# `foryou serve --role trainer` and `foryou serve --role api`, sharing a snapshot directory.
#  1. Freshness: KAFKA_ROLES_SAMPLES (40) POSTs of 20 plays to the replica, one at a time; a
#     sample is the time from the POST's answer to the first replica /healthz (polled every 5 ms)
#     whose serving_offset (the trainer's event count of the last whole sync the replica applied
#     from the parameter topic) covers the batch. Every sample must be under
#     KAFKA_ROLES_BOUND_MS (3000).
#  2. Restart: the replica is killed with SIGKILL, KAFKA_ROLES_GAP (20) batches are posted to
#     the trainer meanwhile, and the replica restarts on its data directory: it loads the
#     trainer's newest snapshot and the parameter topic after it, and must reach the trainer's
#     serving_offset and ledger (records, checksum) within KAFKA_ROLES_CATCHUP_MS (15000).
#  3. A new replica on an empty data directory, the same check, and it must hold the trainer's
#     catalog (/healthz videos and users) when it first answers.
#  4. The catalog, shared through the changelog topic (written once, through the trainer):
#     KAFKA_ROLES_CATALOG_SAMPLES (20) times, a video posted through the trainer must be served
#     by the replica (GET /v1/videos/ID, public: approved only), then removed through the
#     replica (PATCH moderation) and hidden by the trainer, each within
#     KAFKA_ROLES_CATALOG_BOUND_MS (1000) of the write's answer.
#  5. Feed state, rebuilt by every process from the event topic: an impression of v0 and a
#     "not interested" in a video of creator `nic`, posted by u0 to the trainer, must show on
#     both replicas (GET /v1/feed/explain: v0 not servable, the `nic` video penalised) within
#     KAFKA_ROLES_FEED_BOUND_MS (30000) of the POST's answer (`feed_state_ms`, the slower
#     replica; the 1 s bound is feed_state_test's, in process).
# With KAFKA_ROLES_SAMPLES=0 only 2, 3 and 4 run. Environment: FORYOU_BIN (build/release/foryou).
# Prints last: kafka_roles samples=.. p50_ms=.. p99_ms=.. max_ms=.. restored_offset=..
#   restart_catchup_ms=.. new_replica_catchup_ms=.. catalog_samples=.. catalog_p50_ms=..
#   catalog_p99_ms=.. catalog_max_ms=.. feed_state_ms=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FORYOU_BIN:-build/release/foryou}"
samples="${KAFKA_ROLES_SAMPLES:-40}"
bound_ms="${KAFKA_ROLES_BOUND_MS:-3000}"
gap="${KAFKA_ROLES_GAP:-20}"
catchup_limit_ms="${KAFKA_ROLES_CATCHUP_MS:-15000}"
catalog_samples="${KAFKA_ROLES_CATALOG_SAMPLES:-20}"
catalog_bound_ms="${KAFKA_ROLES_CATALOG_BOUND_MS:-1000}"
feed_bound_ms="${KAFKA_ROLES_FEED_BOUND_MS:-30000}"

log() { echo "kafka_roles: $*" >&2; }
die() { log "error: $*"; keep=1; exit 1; }
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_kafka_roles.XXXXXX")"
mock_pid="" pids=()
source bench/kafka_mock_lib.sh
cleanup() { kafka_bench_cleanup "${pids[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_kafka_mock 1

# start NAME ROLE: `serve --role ROLE` on $work/NAME (port kept in $work/NAME.port for
# restarts); sets started_pid and started_base.
start() {
  local name=$1 role=$2 port=0
  [ -f "$work/$name.port" ] && port="$(cat "$work/$name.port")"
  "$bin" serve --data-dir "$work/$name" --port "$port" --kafka "$bootstrap" --role "$role" \
    --snapshot-dir "$work/snapshots" --snapshot-interval-ms 500 \
    >>"$work/$name.stdout" 2>>"$work/$name.stderr" &
  started_pid=$!
  pids+=("$started_pid")
  await_healthy "$name" "$started_pid"
  started_base="$healthy_base"
}
# catalog NAME BASE: u0 and v0, written through that process (every process shares them).
catalog() {
  local app admin
  app="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/$1/keys.json")"
  admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$work/$1/keys.json")"
  curl -sf -o /dev/null -H "X-Api-Key: $app" -H 'Content-Type: application/json' \
    -d '{"id":"u0"}' "$2/v1/users" || die "POST /v1/users on $1"
  curl -sf -o /dev/null -H "X-Api-Key: $admin" -H 'Content-Type: application/json' \
    -d '{"id":"v0","creator":"c0","duration_ms":15000,"moderation":"approved"}' \
    "$2/v1/videos" || die "POST /v1/videos on $1"
}
# post NAME BASE TAG: 20 plays of u0 on v0; prints the answer's offset.
post() {
  local key body i
  key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/$1/keys.json")"
  body='{"events":['
  for ((i = 0; i < 20; i++)); do
    [ "$i" -gt 0 ] && body+=','
    body+="{\"type\":\"play\",\"user\":\"u0\",\"video\":\"v0\",\"request_id\":\"$3-$i\",\"time_ms\":$(date +%s%3N),\"watch_ms\":$((1000 + i * 300))}"
  done
  body+=']}'
  curl -sf -H "X-Api-Key: $key" -H 'Content-Type: application/json' -d "$body" \
    "$2/v1/events" | jq -r '.offset'
}
field() {  # field BASE JQ: a /healthz field
  curl -s --max-time 2 "$1/healthz" | jq -r "$2" 2>/dev/null || echo -1
}
# ledger BASE: "serving_offset events checksum" (the checksum read as text: a full uint64).
ledger() {
  local hz
  hz="$(curl -s --max-time 2 "$1/healthz" || true)"
  echo "$(jq -r '.serving_offset // -1' <<<"$hz" 2>/dev/null || echo -1)" \
       "$(grep -o '"events":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)" \
       "$(grep -o '"checksum":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)"
}
# catchup BASE: ms until the replica at BASE shows the trainer's ledger (trainer idle), or -1.
catchup() {
  local t0 want now
  t0="$(date +%s%N)"
  want="$(ledger "$trainer")"
  while true; do
    [ "$(ledger "$1")" = "$want" ] && { echo $(( ($(date +%s%N) - t0) / 1000000 )); return; }
    now="$(date +%s%N)"
    [ $(( (now - t0) / 1000000 )) -gt "$catchup_limit_ms" ] && { echo -1; return; }
    want="$(ledger "$trainer")"
    sleep 0.02
  done
}

start trainer trainer
trainer="$started_base"
catalog trainer "$trainer"
start api1 api
api="$started_base" api_pid="$started_pid"
[ "$(field "$api" '.videos')" = 1 ] || die "the replica lacks the trainer's catalog"
log "mock $bootstrap, trainer $trainer, replica $api"

: >"$work/ms.txt"
fail=0
for ((s = 0; s < samples; s++)); do
  offset="$(post api1 "$api" "f$s")"
  [ -n "$offset" ] && [ "$offset" != null ] || die "POST /v1/events to the replica failed"
  t0="$(date +%s%N)"
  while [ "$(field "$api" '.serving_offset')" -lt $((offset + 20)) ]; do
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 10000 ] && break
    sleep 0.005
  done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "$ms" >>"$work/ms.txt"
  [ "$ms" -gt "$bound_ms" ] && { log "sample $s: ${ms} ms"; fail=1; }
done
stats="samples=0 p50_ms=0 p99_ms=0 max_ms=0"
if [ "$samples" -gt 0 ]; then
  stats="$(sort -n "$work/ms.txt" | awk '{ v[NR] = $1 } END {
    p50 = v[int((NR + 1) * 0.50)]; p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
    printf "samples=%d p50_ms=%d p99_ms=%d max_ms=%d", NR, p50, p99, v[NR] }')"
fi

# The replica killed; events go on through the trainer; a snapshot is taken meanwhile.
kill -KILL "$api_pid"
wait "$api_pid" 2>/dev/null || true
for ((g = 0; g < gap; g++)); do
  post trainer "$trainer" "g$g" >/dev/null || die "POST /v1/events to the trainer failed"
  sleep 0.05
done
sleep 0.6  # past a snapshot interval: the restart loads a snapshot newer than the kill
start api1 api
api="$started_base"
restored="$(grep -o 'serving model at offset [0-9]*' "$work/api1.stderr" | tail -1 | grep -o '[0-9]*$' || echo 0)"
restart_ms="$(catchup "$api")"
log "replica restarted from offset ${restored:-0}; caught up in ${restart_ms} ms ($(ledger "$api"))"
start api2 api
api2="$started_base"
[ "$(field "$started_base" '[.videos, .users]|@csv')" = "$(field "$trainer" '[.videos, .users]|@csv')" ] ||
  { log "the new replica lacks the trainer's catalog when it first answers"; fail=1; }
new_ms="$(catchup "$started_base")"
log "new replica caught up in ${new_ms} ms"

# status BASE ID: the HTTP status of a public GET of the video.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/v1/videos/$2"; }
# visible BASE ID WANT: ms until the public GET answers WANT (-1 after 10 s).
visible() {
  local t0
  t0="$(date +%s%N)"
  until [ "$(status "$1" "$2")" = "$3" ]; do
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 10000 ] && { echo -1; return; }
    sleep 0.005
  done
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
}
# Each process has its own keys file (its data directory): the trainer's admin key for writes
# to the trainer, the replica's for writes to the replica.
admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$work/trainer/keys.json")"
api_admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$work/api1/keys.json")"
: >"$work/catalog_ms.txt"
for ((s = 0; s < catalog_samples; s++)); do
  curl -sf -o /dev/null -H "X-Api-Key: $admin" -H 'Content-Type: application/json' \
    -d "{\"id\":\"cv$s\",\"creator\":\"c1\",\"duration_ms\":15000,\"moderation\":\"approved\"}" \
    "$trainer/v1/videos" || die "POST /v1/videos to the trainer failed"
  ms="$(visible "$api" "cv$s" 200)"
  echo "$ms" >>"$work/catalog_ms.txt"
  curl -sf -o /dev/null -X PATCH -H "X-Api-Key: $api_admin" -H 'Content-Type: application/json' \
    -d '{"moderation":"removed"}' "$api/v1/videos/cv$s" || die "PATCH /v1/videos on the replica failed"
  ms2="$(visible "$trainer" "cv$s" 404)"
  echo "$ms2" >>"$work/catalog_ms.txt"
  for m in "$ms" "$ms2"; do
    if [ "$m" -lt 0 ] || [ "$m" -gt "$catalog_bound_ms" ]; then log "catalog sample $s: $m ms"; fail=1; fi
  done
done
catalog_stats="catalog_samples=0 catalog_p50_ms=0 catalog_p99_ms=0 catalog_max_ms=0"
if [ "$catalog_samples" -gt 0 ]; then
  catalog_stats="$(sort -n "$work/catalog_ms.txt" | awk '{ v[NR] = $1 } END {
    p50 = v[int((NR + 1) * 0.50)]; p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
    printf "catalog_samples=%d catalog_p50_ms=%d catalog_p99_ms=%d catalog_max_ms=%d", NR, p50, p99, v[NR] }')"
fi

# Feed state across processes: u0's impression of v0 and "not interested" in nv0 (creator nic),
# posted to the trainer, reach both replicas' feeds.
curl -sf -o /dev/null -H "X-Api-Key: $admin" -H 'Content-Type: application/json' \
  -d '{"id":"nv0","creator":"nic","duration_ms":15000,"moderation":"approved"}' \
  "$trainer/v1/videos" || die "POST /v1/videos to the trainer failed"
for base in "$api" "$api2"; do
  [ "$(visible "$base" nv0 200)" -ge 0 ] || die "nv0 did not reach the replica $base"
done
declare -A app_key
for name in api1 api2; do
  app_key[$name]="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/$name/keys.json")"
done
# explain NAME BASE VIDEO JQ: a field of u0's explanation of VIDEO on that process.
explain() {
  curl -s --max-time 2 -H "X-Api-Key: ${app_key[$1]}" "$2/v1/feed/explain?user=u0&video=$3" |
    jq -r "$4" 2>/dev/null || echo error
}
for name in api1 api2; do
  base="$api"; [ "$name" = api2 ] && base="$api2"
  [ "$(explain "$name" "$base" v0 .can_serve)" = true ] || die "v0 not servable to u0 on $name before"
  [ "$(explain "$name" "$base" nv0 '.penalty > 0')" = false ] || die "nv0 penalised on $name before"
done
app="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/trainer/keys.json")"
curl -sf -o /dev/null -H "X-Api-Key: $app" -H 'Content-Type: application/json' \
  -d "{\"events\":[{\"type\":\"impression\",\"user\":\"u0\",\"video\":\"v0\",\"request_id\":\"fs\",\"position\":0,\"surface\":\"foryou\",\"time_ms\":$(date +%s%3N)},{\"type\":\"not_interested\",\"user\":\"u0\",\"video\":\"nv0\",\"time_ms\":$(date +%s%3N)}]}" \
  "$trainer/v1/events" || die "POST /v1/events to the trainer failed"
t0="$(date +%s%N)"
feed_state_ms=-1
while [ $(( ($(date +%s%N) - t0) / 1000000 )) -le "$feed_bound_ms" ]; do
  if [ "$(explain api1 "$api" v0 .can_serve)" = false ] &&
     [ "$(explain api2 "$api2" v0 .can_serve)" = false ] &&
     [ "$(explain api1 "$api" nv0 '.penalty > 0')" = true ] &&
     [ "$(explain api2 "$api2" nv0 '.penalty > 0')" = true ]; then
    feed_state_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    break
  fi
  sleep 0.005
done
if [ "$feed_state_ms" -lt 0 ]; then
  log "feed state: $feed_state_ms ms"
  fail=1
fi

verdict=PASS
if [ "$fail" = 1 ] || [ "$restart_ms" -lt 0 ] || [ "$new_ms" -lt 0 ] || [ "${restored:-0}" = 0 ]; then
  verdict=FAIL
  keep=1
fi
echo "kafka_roles $stats restored_offset=${restored:-0} restart_catchup_ms=$restart_ms" \
     "new_replica_catchup_ms=$new_ms $catalog_stats feed_state_ms=$feed_state_ms $verdict"
[ "$verdict" = PASS ]
