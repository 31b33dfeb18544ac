#!/usr/bin/env bash
# Freshness of `foryou serve --kafka` over HTTP: `foryou kafka-mock --partitions 1` (one
# partition, so /v1/events' `offset` is exact, docs/design/kafka.md), a server on it, and
# KAFKA_FRESH_SAMPLES (50) POSTs of 20 plays, one at a time; each sample is the time from the
# POST's answer to the first /healthz (polled every 5 ms) whose serving_offset covers the batch.
# With KAFKA_FRESH_FILE=1 the same against the file log, for the baseline.
# Prints last: kafka_freshness log=kafka|file samples=.. p50_ms=.. p99_ms=.. max_ms=..
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${FORYOU_BIN:-build/release/foryou}"
samples="${KAFKA_FRESH_SAMPLES:-50}"
work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_kafka_fresh.XXXXXX")"
server_pid="" mock_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null
  [ -n "$mock_pid" ] && kill -TERM "$mock_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
kafka=()
mode=file
if [ "${KAFKA_FRESH_FILE:-0}" != 1 ]; then
  mode=kafka
  "$bin" kafka-mock --partitions 1 >"$work/mock.stdout" 2>/dev/null &
  mock_pid=$!
  for _ in $(seq 100); do [ -s "$work/mock.stdout" ] && break; sleep 0.1; done
  kafka=(--kafka "$(head -1 "$work/mock.stdout")")
fi
"$bin" serve --data-dir "$work/data" --port 0 "${kafka[@]}" >"$work/out" 2>"$work/err" &
server_pid=$!
base=""
for _ in $(seq 300); do
  base="$(grep -om1 'http://[0-9.]*:[0-9]*/$' "$work/out" | sed 's,/$,,' || true)"
  [ -n "$base" ] && curl -sf -o /dev/null "$base/healthz" && break
  sleep 0.1
done
key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$work/data/keys.json")"
admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$work/data/keys.json")"
curl -s -o /dev/null -H "X-Api-Key: $key" -H 'Content-Type: application/json' -d '{"id":"u0"}' "$base/v1/users"
curl -s -o /dev/null -H "X-Api-Key: $admin" -H 'Content-Type: application/json' \
  -d '{"id":"v0","creator":"c0","duration_ms":15000,"moderation":"approved"}' "$base/v1/videos"
: >"$work/ms.txt"
for ((s = 0; s < samples; s++)); do
  body='{"events":['
  for ((i = 0; i < 20; i++)); do
    [ "$i" -gt 0 ] && body+=','
    body+="{\"type\":\"play\",\"user\":\"u0\",\"video\":\"v0\",\"request_id\":\"f$s-$i\",\"time_ms\":$(date +%s%3N),\"watch_ms\":5000}"
  done
  body+=']}'
  offset="$(curl -s -H "X-Api-Key: $key" -H 'Content-Type: application/json' -d "$body" \
            "$base/v1/events" | jq -r '.offset')"
  t0="$(date +%s%N)"
  while [ "$(curl -s "$base/healthz" | jq -r '.serving_offset')" -lt $((offset + 20)) ]; do
    sleep 0.005
  done
  echo $(( ($(date +%s%N) - t0) / 1000000 )) >>"$work/ms.txt"
done
sort -n "$work/ms.txt" | awk -v mode="$mode" '{ v[NR] = $1 } END {
  p50 = v[int((NR + 1) * 0.50)]; p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
  printf "kafka_freshness log=%s samples=%d p50_ms=%d p99_ms=%d max_ms=%d\n", mode, NR, p50, p99, v[NR] }'
