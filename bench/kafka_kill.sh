#!/usr/bin/env bash
# The Kafka kill test: `foryou kafka-mock` (librdkafka's mock cluster, 4 partitions) and a real
# `foryou serve --kafka` on it; events are posted over HTTP while the server is killed with
# SIGKILL at KAFKA_KILL_ROUNDS (2) random moments and restarted on the same data directory, so
# each restart resumes from the newest snapshot's stream position (--snapshot-interval-ms 300).
# At the end every acknowledged event (a 2xx answer to its POST /v1/events) must be in the topic,
# none twice, and the trainer must have applied every record of the topic exactly once: once
# /healthz's serving_offset reaches log_end_offset, its ledger (records applied, checksum over
# them) equals the ledger `foryou kafka-dump` computes over the whole topic. The file-log
# variant is bench/http_kill.sh.
#
# Usage: bench/kafka_kill.sh    Environment: FORYOU_BIN (default build/release/foryou),
#   KAFKA_KILL_ROUNDS (2), KAFKA_KILL_MIN_MS / KAFKA_KILL_MAX_MS (800 / 2000: the uptime before
#   each kill, uniform), KAFKA_KILL_SEED (the kill moments).
# Prints progress on stderr and, last on stdout:
#   kafka_kill rounds=.. acked=.. in_topic=.. missing=.. duplicated=.. applied=.. topic_records=.. resumed=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${FORYOU_BIN:-build/release/foryou}"
rounds="${KAFKA_KILL_ROUNDS:-2}"
min_ms="${KAFKA_KILL_MIN_MS:-800}"
max_ms="${KAFKA_KILL_MAX_MS:-2000}"
batch=20 users=10 videos=30 posters=3
RANDOM="${KAFKA_KILL_SEED:-$$}"

log() { echo "kafka_kill: $*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"

work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_kafka_kill.XXXXXX")"
data="$work/data"
server_pid="" mock_pid="" poster_pids=()
source bench/kafka_mock_lib.sh
cleanup() { kafka_bench_cleanup "${poster_pids[@]}" $server_pid; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_kafka_mock 4
log "mock cluster at $bootstrap"

# start_server: serve $data on the cluster at $port (0 the first time: kept for the restarts).
port=0
source bench/kill_lib.sh
start_server() { serve_and_wait --threads 8 --kafka "$bootstrap" --snapshot-interval-ms 300; }

mkdir -p "$data"
start_server
make_catalog
log "server pid $server_pid at $base"

: >"$work/acked.txt"
for ((p = 0; p < posters; p++)); do
  poster "$p" &
  poster_pids+=($!)
done

resumed=0
for ((r = 1; r <= rounds; r++)); do
  before="$(wc -l <"$work/acked.txt")"
  up_ms=$(( min_ms + RANDOM % (max_ms - min_ms + 1) ))
  sleep "$(awk -v ms="$up_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  log "round $r: killed after ${up_ms} ms up; $(( $(wc -l <"$work/acked.txt") - before )) batches acknowledged in the round"
  start_server
  # serve's ready line: "... serving model at offset N": N > 0 when it resumed from a snapshot.
  offset="$(grep -o 'serving model at offset [0-9]*' "$work/server.stderr" | tail -1 | grep -o '[0-9]*$')"
  [ "${offset:-0}" -gt 0 ] && resumed=$((resumed + 1))
  log "round $r: restarted (pid $server_pid) from offset ${offset:-0}"
done
sleep 0.5
kill "${poster_pids[@]}"; wait "${poster_pids[@]}" 2>/dev/null || true; poster_pids=()

# The topic is final (no poster is left); the trainer catches up with it: its ledger then
# covers every record of the topic.
"$bin" kafka-dump --kafka "$bootstrap" >"$work/topic.jsonl" 2>"$work/dump.stderr" ||
  die "foryou kafka-dump failed: $(cat "$work/dump.stderr")"
topic_records="$(grep -o 'records=[0-9]*' "$work/dump.stderr" | cut -d= -f2)"
topic_sum="$(grep -o 'checksum=[0-9]*' "$work/dump.stderr" | cut -d= -f2)"
serving=0 end=-1 applied=0 applied_sum=0
for _ in $(seq 300); do
  hz="$(curl -s --max-time 2 "$base/healthz" || true)"
  serving="$(jq -r '.serving_offset // 0' <<<"$hz" 2>/dev/null || echo 0)"
  end="$(jq -r '.log_end_offset // -1' <<<"$hz" 2>/dev/null || echo -1)"
  # The checksum is a full uint64: read as text (jq's numbers are doubles).
  applied="$(grep -o '"events":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)"
  applied_sum="$(grep -o '"checksum":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)"
  [ "${applied:-0}" -ge "$topic_records" ] && [ "$serving" = "$end" ] && break
  sleep 0.1
done
log "healthz: serving_offset=$serving log_end_offset=$end ledger events=$applied checksum=$applied_sum"
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

jq -r 'select(.event.request_id != null) | .event.request_id' "$work/topic.jsonl" | grep '^k' |
  sort >"$work/in_topic.txt" || true
acked_ids "$work/acked_ids.txt"
acked="$(wc -l <"$work/acked_ids.txt")"
in_topic="$(wc -l <"$work/in_topic.txt")"
duplicated="$(uniq -d "$work/in_topic.txt" | wc -l)"
missing="$(comm -23 "$work/acked_ids.txt" <(uniq "$work/in_topic.txt") | wc -l)"
log "acknowledged $acked events, $in_topic in the topic, missing $missing, duplicated $duplicated;" \
    "topic ledger records=$topic_records checksum=$topic_sum"
[ -s "$work/poster.errors" ] && log "$(head -3 "$work/poster.errors")"
verdict=PASS
if [ "$missing" != 0 ] || [ "$duplicated" != 0 ] || [ "$acked" = 0 ] || [ "$serving" != "$end" ] ||
   [ "$applied" != "$topic_records" ] || [ "$applied_sum" != "$topic_sum" ] ||
   [ "$resumed" = 0 ] || [ -s "$work/poster.errors" ]; then
  verdict=FAIL
  keep=1
fi
echo "kafka_kill rounds=$rounds acked=$acked in_topic=$in_topic missing=$missing" \
     "duplicated=$duplicated applied=$applied topic_records=$topic_records resumed=$resumed $verdict"
[ "$verdict" = PASS ]
