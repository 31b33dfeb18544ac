#!/usr/bin/env bash
# `make demo-cluster`: foryou as a cluster on one machine (docs/design/kafka_roles.md, "The
# cluster demo"): `foryou kafka-mock`, one `serve --role trainer`, two `serve --role api`
# replicas and Debian's haproxy in front of them (config/haproxy/cluster.cfg), on the KuaiRand
# demo catalog. Prints the links, then waits; Ctrl-C stops every process it started.
#
#   scripts/demo_cluster.sh DIR MEDIA_DIR   # state in DIR/{trainer,api1,api2}, clips in MEDIA_DIR
#
# Ports: the front DEMO_PORT (8080), haproxy's status page +1, the trainer +2, the replicas +3
# and +4. The catalog is shared through the changelog topic: the trainer imports it, and each
# replica, started once the trainer is healthy, materialises it from the topic. The mock cluster
# keeps its topics in memory, so every start begins a new event stream and a new changelog: the
# previous run's snapshots (DIR/snapshots) and catalogs (DIR/*/catalog) are removed.
# Environment: FORYOU_BIN (build/release/foryou).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 DIR MEDIA_DIR" >&2; exit 2; }
dir=$1 media=$2
bin="${FORYOU_BIN:-build/release/foryou}"
port="${DEMO_PORT:-8080}"
work="$dir/logs"

log() { echo "demo-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
command -v haproxy >/dev/null ||
  die "haproxy is not installed (scripts/install_deps.sh installs it, or: apt-get install haproxy)"
[ -x "$bin" ] || die "no server binary at $bin (make build)"
[ -d "$media" ] || die "no clips in $media (scripts/make_clips.sh --kuairand $media demo/kuairand)"
mkdir -p "$work"
rm -rf "$dir/snapshots" "$dir/trainer/catalog" "$dir/api1/catalog" "$dir/api2/catalog"

mock_pid="" front_pid="" pids=()
stop_all() {
  local p
  trap - EXIT INT TERM
  stopping=1
  log "stopping"
  for p in "$front_pid" "${pids[@]}"; do [ -z "$p" ] || kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$mock_pid" ] || kill -TERM "$mock_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'stopping=1; exit 130' INT TERM

# The mock cluster started by setsid (outside the terminal's process group): Ctrl-C reaches the
# servers and haproxy, and the mock stops last, once the servers have left it (a server
# stopping without its Kafka waits out its producer's timeouts). The previous run's address
# must not be read for this one's.
rm -f "$work/mock.stdout"
setsid "$bin" kafka-mock --partitions 8 >"$work/mock.stdout" 2>"$work/mock.stderr" &
mock_pid=$!
bootstrap=""
for ((i = 0; i < 100; i++)); do
  bootstrap="$(head -1 "$work/mock.stdout" 2>/dev/null || true)"
  [ -n "$bootstrap" ] && break
  kill -0 "$mock_pid" 2>/dev/null || die "foryou kafka-mock exited: $(cat "$work/mock.stderr")"
  sleep 0.1
done
[ -n "$bootstrap" ] || die "foryou kafka-mock printed no address"

# start NAME ROLE PORT: `serve --role ROLE` on DIR/NAME (the trainer imports the catalog into
# the changelog; a replica reads it from there); output in DIR/logs/NAME.{stdout,stderr}.
start() {
  local name=$1 role=$2 p=$3 extra=(--import demo/kuairand)
  [ "$name" != trainer ] && extra=(--keys "$dir/trainer/keys.json")
  "$bin" serve --data-dir "$dir/$name" --port "$p" --kafka "$bootstrap" --role "$role" \
    --snapshot-dir "$dir/snapshots" --static-dir web/dist \
    --media-dir "$media" "${extra[@]}" >"$work/$name.stdout" 2>"$work/$name.stderr" &
  pids+=($!)
}
# healthy NAME PORT: waits until that process answers /healthz (its first start imports).
healthy() {
  local i
  for ((i = 0; i < 3000; i++)); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$2/healthz" && return 0
    sleep 0.2
  done
  die "$1 was not healthy after 10 minutes ($work/$1.stderr)"
}

log "mock Kafka cluster at $bootstrap; starting the trainer (it imports the catalog into the" \
    "changelog topic), then two replicas"
start trainer trainer $((port + 2))
healthy trainer $((port + 2))
[ -s "$dir/trainer/keys.json" ] || die "the trainer wrote no keys ($work/trainer.stderr)"
start api1 api $((port + 3))
start api2 api $((port + 4))
healthy api1 $((port + 3))
healthy api2 $((port + 4))

export FORYOU_FRONT_BIND="127.0.0.1:$port" FORYOU_STATS_BIND="127.0.0.1:$((port + 1))"
export FORYOU_API1="127.0.0.1:$((port + 3))" FORYOU_API2="127.0.0.1:$((port + 4))"
haproxy -db -f config/haproxy/cluster.cfg >"$work/haproxy.log" 2>&1 &
front_pid=$!
healthy front "$port"

admin="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$dir/trainer/keys.json")"
app="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$dir/trainer/keys.json")"
cat <<EOF
foryou cluster: player     http://127.0.0.1:$port/  (through haproxy; sign up or sign in)
foryou cluster: front      http://127.0.0.1:$((port + 1))/  (haproxy's status: each replica up or down)
foryou cluster: replica 1  http://127.0.0.1:$((port + 3))/healthz
foryou cluster: replica 2  http://127.0.0.1:$((port + 4))/healthz
foryou cluster: trainer    http://127.0.0.1:$((port + 2))/dashboard#key=$admin
foryou cluster: kafka      $bootstrap (librdkafka's mock cluster)
  keys ($dir/trainer/keys.json, shared by every process): app $app, admin $admin
  try:  curl -i -H 'X-Api-Key: $app' 'http://127.0.0.1:$port/v1/feed?user=0&count=5'
        (the X-Foryou-Replica header names the replica that answered)
  logs in $work/; stop with Ctrl-C
EOF
# Until Ctrl-C, or until a process exits by itself.
while true; do
  for p in "$mock_pid" "$front_pid" "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then
      sleep 0.5  # a Ctrl-C stops the servers too: then this is no error
      [ -n "${stopping:-}" ] || die "process $p exited (logs in $work/)"
    fi
  done
  sleep 1
done
