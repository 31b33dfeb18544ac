# Shared by the Kafka benches (kafka_kill.sh, kafka_roles.sh, kafka_faults.sh, kafka_front.sh), sourced after the caller has set
# bin (the foryou binary) and work (the run's temporary directory), and defined die.

# await_kafka_mock_address: until the mock (mock_pid) prints its bootstrap address (bootstrap);
# dies with the mock's own error if it exits first.
await_kafka_mock_address() {
  bootstrap=""
  for _ in $(seq 100); do
    bootstrap="$(head -1 "$work/mock.stdout" 2>/dev/null || true)"  # not created yet: wait
    [ -n "$bootstrap" ] && break
    kill -0 "$mock_pid" 2>/dev/null || die "foryou kafka-mock exited: $(cat "$work/mock.stderr")"
    sleep 0.1
  done
  [ -n "$bootstrap" ] || die "foryou kafka-mock printed no address"
}

# kafka_bench_cleanup PID...: SIGKILL to each PID, SIGTERM to the mock (mock_pid, if started),
# waits for them, then removes $work unless keep=1. Never fails (it runs from an EXIT trap).
kafka_bench_cleanup() {
  local p
  for p in "$@"; do kill -KILL "$p" 2>/dev/null || true; done
  if [ -n "${mock_pid:-}" ]; then kill -TERM "$mock_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ "${keep:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}

# start_kafka_mock PARTITIONS: `foryou kafka-mock` in the background (mock_pid) until it prints
# its bootstrap address (bootstrap); dies with the mock's own error if it exits first.
start_kafka_mock() {
  "$bin" kafka-mock --partitions "$1" >"$work/mock.stdout" 2>"$work/mock.stderr" &
  mock_pid=$!
  await_kafka_mock_address
}

# start_kafka_mock_with_control PARTITIONS BROKERS: as start_kafka_mock, with BROKERS brokers and
# its stdin on the fifo $work/mock.ctl, held open for writing on descriptor mock_ctl, so
# mock_command can send it fault commands.
start_kafka_mock_with_control() {
  mkfifo "$work/mock.ctl"
  "$bin" kafka-mock --partitions "$1" --brokers "$2" <"$work/mock.ctl" >"$work/mock.stdout" \
    2>"$work/mock.stderr" &
  mock_pid=$!
  exec {mock_ctl}>"$work/mock.ctl"
  await_kafka_mock_address
}

# mock_command LINE: sends LINE to the mock started by start_kafka_mock_with_control and waits
# until it answers `ok LINE`; dies with the mock's error if it refuses it.
mock_command() {
  local oks errs t0
  oks="$(grep -cxF "ok $1" "$work/mock.stdout" || true)"
  errs="$(wc -l <"$work/mock.stderr")"
  echo "$1" >&"$mock_ctl"
  t0="$(date +%s%3N)"
  while [ $(( $(date +%s%3N) - t0 )) -lt 5000 ]; do
    [ "$(grep -cxF "ok $1" "$work/mock.stdout" || true)" -gt "$oks" ] && return 0
    [ "$(wc -l <"$work/mock.stderr")" -gt "$errs" ] && die "mock: $(tail -1 "$work/mock.stderr")"
    sleep 0.02
  done
  die "the mock did not answer \"$1\" within 5 s"
}

# await_healthy NAME PID: until the server PID (started on $work/NAME, its stdout in
# $work/NAME.stdout; its port in $work/NAME.port when restarted) answers /healthz; keeps its port
# in $work/NAME.port and sets healthy_base (its URL). Dies if it exits or takes over 30 s.
await_healthy() {
  local name=$1 pid=$2 port=0 i
  [ -f "$work/$name.port" ] && port="$(cat "$work/$name.port")"
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || { tail -5 "$work/$name.stderr" >&2; die "$name exited"; }
    if [ "$port" = 0 ]; then
      port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$work/$name.stdout" | sed 's/.*://' || true)"
      [ -n "$port" ] || port=0
    fi
    if [ "$port" != 0 ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      echo "$port" >"$work/$name.port"
      healthy_base="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  die "$name was not healthy after 30 s"
}
