#!/usr/bin/env bash
# A replica killed behind the front (docs/design/kafka_roles.md, "The front"): `foryou
# kafka-mock`, `serve --role trainer`, two `serve --role api` replicas and Debian's haproxy with
# config/haproxy/cluster.cfg in front of them. Two clients go through the front without pause:
# one asks feeds (GET /v1/feed for KAFKA_FRONT_USERS users in turn), one posts batches of 20
# plays (POST /v1/events). After KAFKA_FRONT_BEFORE_S (1) s replica api1 is killed with
# SIGKILL; KAFKA_FRONT_DOWN_S (1.5) s later it restarts on its data directory and port. Checks:
#   * no feed request fails (haproxy sends a GET whose replica died to the other one);
#   * every failed event batch was in flight at the kill (started before api1 was dead, answered
#     after the signal): a POST is never sent twice, its client resends it;
#   * api2 answers while api1 is down, and api1 answers again after its restart;
#   * after the clients stop, both replicas reach the trainer's ledger (serving_offset, records,
#     checksum) within KAFKA_FRONT_CATCHUP_MS (15000), and the trainer's record count lies
#     between 20 x the acknowledged batches and 20 x (acknowledged + failed) ones: nothing
#     acknowledged is lost.
# Fails with a clear message when haproxy is not installed (scripts/install_deps.sh installs it).
# Environment: FORYOU_BIN (build/release/foryou), KAFKA_FRONT_CONFIG (another haproxy config).
# Prints last: kafka_front feeds=.. feed_errors=.. batches=.. batch_errors=.. in_flight_at_kill=..
#   down_served_by_api2=.. back_in_ms=.. catchup_ms=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FORYOU_BIN:-build/release/foryou}"
users="${KAFKA_FRONT_USERS:-16}"
before_s="${KAFKA_FRONT_BEFORE_S:-1}"
down_s="${KAFKA_FRONT_DOWN_S:-1.5}"
config="${KAFKA_FRONT_CONFIG:-config/haproxy/cluster.cfg}"
catchup_limit_ms="${KAFKA_FRONT_CATCHUP_MS:-15000}"

t_start=${EPOCHREALTIME/./}
log() { echo "kafka_front: [+$(( (${EPOCHREALTIME/./} - t_start) / 1000 )) ms] $*" >&2; }
die() { log "error: $*"; keep=1; exit 1; }
command -v haproxy >/dev/null ||
  die "haproxy is not installed: the cluster's front is Debian's haproxy" \
      "(scripts/install_deps.sh installs it, or: apt-get install haproxy)"
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_kafka_front.XXXXXX")"
mock_pid="" front_pid="" pids=() clients=()
cleanup() {
  local p
  touch "$work/stop"
  for p in "${clients[@]}" "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "$front_pid" "$mock_pid"; do [ -z "$p" ] || kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${keep:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source bench/kafka_mock_lib.sh
start_kafka_mock 1

# launch NAME ROLE: `serve --role ROLE` on $work/NAME in the background, its pid in NAME_pid
# (its port kept in $work/NAME.port for the restart; the replicas read the trainer's keys).
# await NAME: until it answers /healthz; sets NAME_base (its URL).
launch() {
  local name=$1 role=$2 port=0 keys=()
  [ -f "$work/$name.port" ] && port="$(cat "$work/$name.port")"
  [ "$name" != trainer ] && keys=(--keys "$work/trainer/keys.json")
  "$bin" serve --data-dir "$work/$name" --port "$port" --kafka "$bootstrap" --role "$role" \
    --snapshot-dir "$work/snapshots" --snapshot-interval-ms 500 "${keys[@]}" \
    >>"$work/$name.stdout" 2>>"$work/$name.stderr" &
  pids+=($!)
  printf -v "${name}_pid" '%s' $!
}
await() {
  local pid="${1}_pid"
  await_healthy "$1" "${!pid}"
  printf -v "${1}_base" '%s' "$healthy_base"
}
# catalog BASE: the users u0.. and videos v0..v3, written through one process (the catalog is
# shared through the changelog topic).
catalog() {
  local i
  for ((i = 0; i < users; i++)); do
    curl -sf -o /dev/null -H "X-Api-Key: $app" -H 'Content-Type: application/json' \
      -d "{\"id\":\"u$i\"}" "$1/v1/users" || die "POST /v1/users on $1"
  done
  for ((i = 0; i < 4; i++)); do
    curl -sf -o /dev/null -H "X-Api-Key: $admin" -H 'Content-Type: application/json' \
      -d "{\"id\":\"v$i\",\"creator\":\"c$i\",\"duration_ms\":15000,\"moderation\":\"approved\"}" \
      "$1/v1/videos" || die "POST /v1/videos on $1"
  done
}
# ledger BASE: "serving_offset records checksum" of /healthz (the checksum read as text).
ledger() {
  local hz
  hz="$(curl -s --max-time 2 "$1/healthz" || true)"
  echo "$(jq -r '.serving_offset // -1' <<<"$hz" 2>/dev/null || echo -1)" \
       "$(grep -o '"events":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)" \
       "$(grep -o '"checksum":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)"
}
now_us() { echo "${EPOCHREALTIME/./}"; }

launch trainer trainer
for ((i = 0; i < 200; i++)); do [ -s "$work/trainer/keys.json" ] && break; sleep 0.05; done
launch api1 api
launch api2 api
await trainer
await api1
await api2
trainer="$trainer_base" api1="$api1_base" api2="$api2_base"
app="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/trainer/keys.json")"
admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$work/trainer/keys.json")"
catalog "$trainer"
# Both replicas serve the catalog written through the trainer, within a second.
t0=$(now_us)
for base in "$api1" "$api2"; do
  until [ "$(curl -s --max-time 2 "$base/healthz" | jq -c '[.videos, .users]' 2>/dev/null)" = \
          "[4,$users]" ]; do
    [ $(( ($(now_us) - t0) / 1000 )) -gt 1000 ] && die "$base lacks the trainer's catalog after 1 s"
    sleep 0.01
  done
done
log "trainer and replicas up; the catalog reached both replicas in $(( ($(now_us) - t0) / 1000 )) ms"

# The front, on free ports picked at random below the ephemeral range (one taken: another pick).
for ((try = 0; try < 5; try++)); do
  front_port=$(shuf -i 10000-30000 -n 1)
  export FORYOU_FRONT_BIND="127.0.0.1:$front_port"
  export FORYOU_STATS_BIND="127.0.0.1:$((front_port + 1))"
  export FORYOU_API1="${api1#http://}" FORYOU_API2="${api2#http://}"
  haproxy -db -f "$config" >>"$work/haproxy.log" 2>&1 &
  front_pid=$!
  front="http://$FORYOU_FRONT_BIND"
  for ((i = 0; i < 100; i++)); do
    curl -sf -o /dev/null --max-time 1 "$front/healthz" && break 2
    kill -0 "$front_pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -TERM "$front_pid" 2>/dev/null || true
  wait "$front_pid" 2>/dev/null || true
  front_pid=""
done
[ -n "$front_pid" ] || { tail -5 "$work/haproxy.log" >&2; die "haproxy did not start"; }
log "mock $bootstrap, trainer $trainer, api1 $api1, api2 $api2, front $front"

# Clients: one line per request, "start_us end_us http_code replica" (code 000: no answer).
feed_client() {
  local i=0 t0 out
  while [ ! -e "$work/stop" ]; do
    t0=$(now_us)
    out="$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %header{x-foryou-replica}' \
      -H "X-Api-Key: $app" "$front/v1/feed?user=u$((i % users))&count=5" || true)"
    echo "$t0 $(now_us) ${out:-000}" >>"$work/feeds.txt"
    i=$((i + 1))
  done
}
event_client() {
  local i=0 j t0 out body
  while [ ! -e "$work/stop" ]; do
    body='{"events":['
    for ((j = 0; j < 20; j++)); do
      [ "$j" -gt 0 ] && body+=','
      body+="{\"type\":\"play\",\"user\":\"u$((i % users))\",\"video\":\"v$((j % 4))\",\"request_id\":\"b$i-$j\",\"time_ms\":$(($(now_us) / 1000)),\"watch_ms\":$((1000 + j * 300))}"
    done
    body+=']}'
    t0=$(now_us)
    out="$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %header{x-foryou-replica}' \
      -H "X-Api-Key: $app" -H 'Content-Type: application/json' -d "$body" \
      "$front/v1/events" || true)"
    echo "$t0 $(now_us) ${out:-000}" >>"$work/batches.txt"
    i=$((i + 1))
  done
}
: >"$work/feeds.txt"
: >"$work/batches.txt"
feed_client & clients+=($!)
event_client & clients+=($!)

sleep "$before_s"
# The kill spans from just before the signal to the process reaped (dead for sure).
kill_us=${EPOCHREALTIME/./}
kill -KILL "$api1_pid"
wait "$api1_pid" 2>/dev/null || true
dead_us=${EPOCHREALTIME/./}
sleep "$down_s"
restart_us=$(now_us)
log "api1 killed; restarting it"
launch api1 api
await api1
log "api1 healthy again"
# Back behind the front: the first feed api1 answers after its restart.
back_ms=-1
for ((i = 0; i < 200; i++)); do
  if awk -v t="$restart_us" '$1 > t && $4 == "api1" { found = 1 } END { exit !found }' \
       "$work/feeds.txt"; then
    back_ms=$(( ($(now_us) - restart_us) / 1000 ))
    break
  fi
  sleep 0.05
done
sleep 0.5
touch "$work/stop"
wait "${clients[@]}" 2>/dev/null || true
clients=()

# catchup BASE: ms until the replica at BASE shows the trainer's ledger, or -1.
catchup() {
  local t0 want
  t0=$(now_us)
  while true; do
    want="$(ledger "$trainer")"
    [ "$(ledger "$1")" = "$want" ] && { echo $(( ($(now_us) - t0) / 1000 )); return; }
    [ $(( ($(now_us) - t0) / 1000 )) -gt "$catchup_limit_ms" ] && { echo -1; return; }
    sleep 0.02
  done
}
catchup1="$(catchup "$api1")"
catchup2="$(catchup "$api2")"
read -r _ trained _ <<<"$(ledger "$trainer")"

# in_flight FILE: requests in flight at the kill (started before api1 was dead, answered after
# the signal).
in_flight() {
  awk -v k="$kill_us" -v d="$dead_us" '$1 <= d && $2 >= k { n++ } END { print n + 0 }' "$1"
}
errors() { awk '$3 != 200 { n++ } END { print n + 0 }' "$1"; }
feeds=$(wc -l <"$work/feeds.txt")
batches=$(wc -l <"$work/batches.txt")
feed_errors=$(errors "$work/feeds.txt")
batch_errors=$(errors "$work/batches.txt")
acked=$((batches - batch_errors))
stray_batch_errors=$(awk -v k="$kill_us" -v d="$dead_us" \
  '$3 != 200 && !($1 <= d && $2 >= k) { n++ } END { print n + 0 }' "$work/batches.txt")
in_flight_at_kill=$(( $(in_flight "$work/feeds.txt") + $(in_flight "$work/batches.txt") ))
served() {  # served REPLICA FROM_US TO_US: answers of REPLICA to requests started in [FROM, TO)
  cat "$work/feeds.txt" "$work/batches.txt" |
    awk -v r="$1" -v a="$2" -v b="$3" '$4 == r && $1 >= a && $1 < b { n++ } END { print n + 0 }'
}
api1_before=$(served api1 0 "$kill_us")
api2_before=$(served api2 0 "$kill_us")
down_api2=$(served api2 "$dead_us" "$restart_us")
down_api1=$(served api1 "$dead_us" "$restart_us")
log "feeds $feeds ($feed_errors failed), batches $batches ($batch_errors failed," \
    "$stray_batch_errors not in flight at the kill); before the kill api1 $api1_before," \
    "api2 $api2_before; while api1 was down api2 $down_api2, api1 $down_api1;" \
    "api1 back in ${back_ms} ms; catch-up api1 ${catchup1} ms, api2 ${catchup2} ms;" \
    "trainer records $trained for $acked acknowledged batches"

fail=0
check() { if ! eval "$1"; then log "FAILED: $2"; fail=1; fi; }
check '[ "$feed_errors" = 0 ]' "$feed_errors feed requests failed (the front retries GETs)"
check '[ "$stray_batch_errors" = 0 ]' "$stray_batch_errors event batches failed outside the kill"
check '[ "$api1_before" -gt 0 ] && [ "$api2_before" -gt 0 ]' "one replica served nothing before the kill"
check '[ "$down_api2" -gt 0 ]' "api2 served nothing while api1 was down"
check '[ "$down_api1" = 0 ]' "answers from a killed api1"
check '[ "$back_ms" -ge 0 ]' "api1 never served again after its restart"
check '[ "$catchup1" -ge 0 ] && [ "$catchup2" -ge 0 ]' "a replica did not reach the trainer's ledger"
check '[ "${trained:-0}" -ge $((20 * acked)) ] && [ "${trained:-0}" -le $((20 * batches)) ]' \
  "trainer records ${trained:-?} outside [20 x $acked acknowledged, 20 x $batches posted]"
check '[ "$acked" -gt 0 ] && [ "$feeds" -gt 0 ]' "no traffic"
verdict=PASS
[ "$fail" = 0 ] || { verdict=FAIL; keep=1; }
echo "kafka_front feeds=$feeds feed_errors=$feed_errors batches=$batches" \
     "batch_errors=$batch_errors in_flight_at_kill=$in_flight_at_kill" \
     "down_served_by_api2=$down_api2 back_in_ms=$back_ms catchup_ms=$catchup1 $verdict"
[ "$verdict" = PASS ]
