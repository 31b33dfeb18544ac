#!/usr/bin/env bash
# Broker faults across processes (docs/design/scale.md, "Faults"): `foryou kafka-mock` with 3
# brokers (one event partition, so /v1/events' `offset` is exact) and fault commands on its
# stdin, `foryou serve --role trainer` and one `--role api` replica.
#  a. Broker down: 2 clients post batches of 20 plays with unique request ids to the replica,
#     one request at a time; every broker is taken down for KAFKA_FAULTS_DOWN_MS (2000) and
#     brought back. Each answer must be a 2xx (the replica waited for Kafka) or a 503 with
#     Retry-After, and no batch sent after the brokers went down may be acknowledged before
#     they are back; at the end every acknowledged event is in the topic exactly once
#     (`foryou kafka-dump`), and the trainer's ledger (records applied, checksum) and the
#     replica's equal the topic's ledger.
#  b. Latency: GET /v1/feed on the replica runs all along; KAFKA_FAULTS_SAMPLES (3) freshness
#     samples (a POST's answer -> the replica's serving_offset covers it, as
#     bench/kafka_roles.sh) before, during (rtt 500 on every broker) and after the latency.
#     Every feed must be a 200, the median during must exceed the median before by 300 ms
#     (the fault took effect), and every sample after must be under KAFKA_FAULTS_BOUND_MS (3000).
# Environment: FORYOU_BIN (build/release/foryou). Prints progress on stderr and, last:
#   kafka_faults acked=.. acked_while_down=.. refused_503=.. bad_answers=.. max_wait_ms=..
#   missing=.. duplicated=.. ledger=ok|differs fresh_before_ms=.. fresh_rtt_ms=.. fresh_after_ms=.. feeds=.. feed_errors=..
#   PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FORYOU_BIN:-build/release/foryou}"
down_ms="${KAFKA_FAULTS_DOWN_MS:-2000}"
samples="${KAFKA_FAULTS_SAMPLES:-3}"
bound_ms="${KAFKA_FAULTS_BOUND_MS:-3000}"
batch=20 users=5 videos=10

t_start="$(date +%s%3N)"
log() { echo "kafka_faults: [$(( $(date +%s%3N) - t_start )) ms] $*" >&2; }
die() { log "error: $*"; keep=1; exit 1; }
for tool in curl jq; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_kafka_faults.XXXXXX")"
mock_pid="" pids=() bg_pids=()
source bench/kafka_mock_lib.sh
cleanup() { kafka_bench_cleanup "${bg_pids[@]}" "${pids[@]}"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

source bench/kill_lib.sh  # make_catalog, post_code
start_kafka_mock_with_control 1 3

# start NAME ROLE: `serve --role ROLE` on $work/NAME; sets base (its address) and data.
start() {
  local name=$1 role=$2 port=0 i pid
  data="$work/$name"
  "$bin" serve --data-dir "$data" --port 0 --kafka "$bootstrap" --role "$role" \
    --snapshot-dir "$work/snapshots" --snapshot-interval-ms 1000 \
    >>"$work/$name.stdout" 2>>"$work/$name.stderr" &
  pid=$!
  pids+=("$pid")
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || { tail -5 "$work/$name.stderr" >&2; die "$name exited"; }
    port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$work/$name.stdout" | sed 's/.*://' || true)"
    if [ -n "$port" ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      base="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  die "$name was not healthy after 30 s"
}
# ledger BASE: "events checksum" of /healthz (the checksum read as text: a full uint64).
ledger() {
  local hz
  hz="$(curl -s --max-time 2 "$1/healthz" || true)"
  echo "$(grep -o '"events":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)" \
       "$(grep -o '"checksum":[0-9]*' <<<"$hz" | head -1 | cut -d: -f2)"
}
now_ms() { date +%s%3N; }

start trainer trainer
trainer="$base"
make_catalog
start api1 api
api="$base"
# The catalog reached the replica through the changelog topic; app_key is now the replica's.
[ "$(curl -s --max-time 2 "$api/healthz" | jq -r '.videos')" = "$videos" ] ||
  die "the replica lacks the trainer's catalog"
app_key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$data/keys.json")"
log "mock $bootstrap, trainer $trainer, replica $api"

# poster P: batches with request ids k<P>-<n> to the replica for ever, one at a time. A 2xx
# appends "<P> <n> <sent ms> <answered ms>" to acked.txt; any other answer
# "<code> <Retry-After> <ms>" to refused.txt.
poster() {
  local p=$1 n=0 i body t0 code retry
  while true; do
    body='{"events":['
    for ((i = 0; i < batch; i++)); do
      [ "$i" -gt 0 ] && body+=','
      body+="{\"type\":\"play\",\"user\":\"u$(( (n + i) % users ))\",\"video\":\"v$(( (n + i) % videos ))\""
      body+=",\"request_id\":\"k$p-$((n + i))\",\"time_ms\":$(now_ms),\"watch_ms\":$(( 1000 + (n + i) % 9000 ))}"
    done
    body+=']}'
    t0="$(now_ms)"
    code="$(curl -s -o /dev/null -D "$work/h$p" -w '%{http_code}' --max-time 10 \
            -H "X-Api-Key: $app_key" -H 'Content-Type: application/json' -d "$body" \
            "$api/v1/events" 2>/dev/null || true)"
    if [[ "$code" == 2* ]]; then
      echo "$p $n $t0 $(now_ms)" >>"$work/acked.txt"
    else
      retry="$(grep -i '^retry-after:' "$work/h$p" | tr -dc '0-9' || true)"
      echo "$code ${retry:--} $(( $(now_ms) - t0 ))" >>"$work/refused.txt"
    fi
    echo "$(( $(now_ms) - t0 ))" >>"$work/wait$p.txt"
    n=$((n + batch))
  done
}
# feeder: GET /v1/feed on the replica for ever; "<code>" per answer to feeds.txt.
feeder() {
  local u=0
  while true; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 -H "X-Api-Key: $app_key" \
      "$api/v1/feed?user=u$u&count=10" >>"$work/feeds.txt" 2>/dev/null || echo 000 >>"$work/feeds.txt"
    u=$(( (u + 1) % users ))
    sleep 0.05
  done
}

# a. Every broker down, then up, under the posters.
: >"$work/acked.txt"; : >"$work/refused.txt"; : >"$work/feeds.txt"
for p in 0 1; do poster "$p" & bg_pids+=($!); done
feeder & bg_pids+=($!)
sleep 1
mock_command "down all"
down_at="$(now_ms)"
log "every broker down"
sleep "$(awk -v ms="$down_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
acked_down="$(wc -l <"$work/acked.txt")"
up_at="$(now_ms)"
mock_command "up all"
log "every broker up; $acked_down batches acknowledged so far"
sleep 1.5
kill "${bg_pids[0]}" "${bg_pids[1]}"; wait "${bg_pids[0]}" "${bg_pids[1]}" 2>/dev/null || true
acked_after_up=$(( $(wc -l <"$work/acked.txt") - acked_down ))

# b. Freshness before, during and after 500 ms of added round-trip time on every broker.
# fresh TAG: one sample (ms) appended to fresh_TAG.txt.
fresh() {
  local offset t0 ms s
  for ((s = 0; s < samples; s++)); do
    offset="$(curl -sf --max-time 10 -H "X-Api-Key: $app_key" -H 'Content-Type: application/json' \
      -d "{\"events\":[{\"type\":\"play\",\"user\":\"u0\",\"video\":\"v0\",\"request_id\":\"f$1-$s\",\"time_ms\":$(now_ms),\"watch_ms\":3000}]}" \
      "$api/v1/events" | jq -r '.offset')" || die "POST /v1/events ($1) failed"
    t0="$(now_ms)"
    while [ "$(curl -s --max-time 2 "$api/healthz" | jq -r '.serving_offset // -1')" -lt $((offset + 1)) ]; do
      [ $(( $(now_ms) - t0 )) -gt 10000 ] && break
      sleep 0.005
    done
    ms=$(( $(now_ms) - t0 ))
    echo "$ms" >>"$work/fresh_$1.txt"
  done
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
fresh before
feeds_before="$(wc -l <"$work/feeds.txt")"
mock_command "rtt all 500"
fresh rtt
mock_command "rtt all 0"
feeds_rtt=$(( $(wc -l <"$work/feeds.txt") - feeds_before ))
fresh after
kill "${bg_pids[2]}"; wait "${bg_pids[2]}" 2>/dev/null || true
bg_pids=()
before_ms="$(median "$work/fresh_before.txt")"
rtt_ms="$(median "$work/fresh_rtt.txt")"
after_max="$(sort -n "$work/fresh_after.txt" | tail -1)"
log "freshness ms before: $(tr '\n' ' ' <"$work/fresh_before.txt")rtt 500: $(tr '\n' ' ' <"$work/fresh_rtt.txt")after: $(tr '\n' ' ' <"$work/fresh_after.txt")"

# The topic is final: every acknowledged id in it once; trainer and replica reach its ledger.
"$bin" kafka-dump --kafka "$bootstrap" >"$work/topic.jsonl" 2>"$work/dump.stderr" ||
  die "foryou kafka-dump failed: $(cat "$work/dump.stderr")"
want="$(grep -o 'records=[0-9]*' "$work/dump.stderr" | cut -d= -f2) $(grep -o 'checksum=[0-9]*' "$work/dump.stderr" | cut -d= -f2)"
ledger_ok=differs
for _ in $(seq 100); do
  if [ "$(ledger "$trainer")" = "$want" ] && [ "$(ledger "$api")" = "$want" ]; then
    ledger_ok=ok; break
  fi
  sleep 0.1
done
log "topic ledger $want; trainer $(ledger "$trainer"); replica $(ledger "$api")"
jq -r 'select(.event.request_id != null) | .event.request_id' "$work/topic.jsonl" | grep '^k' |
  sort >"$work/in_topic.txt" || true
acked_ids "$work/acked_ids.txt"
acked="$(wc -l <"$work/acked_ids.txt")"
duplicated="$(uniq -d "$work/in_topic.txt" | wc -l)"
missing="$(comm -23 "$work/acked_ids.txt" <(uniq "$work/in_topic.txt") | wc -l)"
# Sent after every broker was down and answered before any was up again: Kafka cannot have
# acknowledged these, so a 2xx for one is an acknowledgement of what Kafka did not take.
acked_while_down="$(awk -v d="$down_at" -v u="$up_at" '$3 >= d && $4 <= u' "$work/acked.txt" | wc -l)"
refused_503="$(awk '$1 == 503 && $2 != "-"' "$work/refused.txt" | wc -l)"
bad_answers="$(awk '!($1 == 503 && $2 != "-")' "$work/refused.txt" | wc -l)"
max_wait="$(cat "$work"/wait*.txt | sort -n | tail -1)"
feeds="$(wc -l <"$work/feeds.txt")"
feed_errors="$(grep -cv '^200$' "$work/feeds.txt" || true)"
[ "$bad_answers" = 0 ] || log "answers other than 2xx or 503 with Retry-After: $(head -3 "$work/refused.txt" | tr '\n' ';')"

verdict=PASS
if [ "$acked" = 0 ] || [ "$acked_after_up" = 0 ] || [ "$acked_while_down" != 0 ] ||
   [ "$missing" != 0 ] || [ "$duplicated" != 0 ] ||
   [ "$bad_answers" != 0 ] || [ "$ledger_ok" != ok ] || [ "$feed_errors" != 0 ] ||
   [ "$feeds_rtt" = 0 ] || [ "$rtt_ms" -lt $((before_ms + 300)) ] || [ "$after_max" -gt "$bound_ms" ]; then
  verdict=FAIL
  keep=1
fi
echo "kafka_faults acked=$acked acked_while_down=$acked_while_down refused_503=$refused_503" \
     "bad_answers=$bad_answers" \
     "max_wait_ms=$max_wait missing=$missing duplicated=$duplicated ledger=$ledger_ok" \
     "fresh_before_ms=$before_ms fresh_rtt_ms=$rtt_ms fresh_after_ms=$after_max feeds=$feeds" \
     "feed_errors=$feed_errors $verdict"
[ "$verdict" = PASS ]
