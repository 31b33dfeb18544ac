# Shared by the Kafka benches (kafka_kill.sh, kafka_roles.sh), sourced after the caller has set
# bin (the foryou binary) and work (the run's temporary directory), and defined die.

# start_kafka_mock PARTITIONS: `foryou kafka-mock` in the background (mock_pid) until it prints
# its bootstrap address (bootstrap); dies with the mock's own error if it exits first.
start_kafka_mock() {
  "$bin" kafka-mock --partitions "$1" >"$work/mock.stdout" 2>"$work/mock.stderr" &
  mock_pid=$!
  bootstrap=""
  for _ in $(seq 100); do
    bootstrap="$(head -1 "$work/mock.stdout" 2>/dev/null || true)"  # not created yet: wait
    [ -n "$bootstrap" ] && break
    kill -0 "$mock_pid" 2>/dev/null || die "foryou kafka-mock exited: $(cat "$work/mock.stderr")"
    sleep 0.1
  done
  [ -n "$bootstrap" ] || die "foryou kafka-mock printed no address"
}
