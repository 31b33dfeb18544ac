#!/usr/bin/env bash
# `make test`: every stage of the test suite, in order, stopping at the first that fails, then a
# table of the time each stage took and how many tests it ran and skipped.
#   release   the release build of the binary, the libraries and the benchmarks, and the six
#             quality tests that run in this stage only (ASAN_RELEASE_ONLY below: simulations
#             and real-log replays, too slow under ASan) with the tests that run
#             the binary (upload_kill_test, kafka_*_test); every other test runs in the asan stage
#   web       the browser tests (Debian's chromium driven by playwright-core, a real server)
#   asan      the unit and integration tests (with the fuzz targets, whose corpus replays are
#             unit tests) built with clang, ASan+UBSan and -Wthread-safety -Werror (so clang's
#             thread-safety analysis checks every annotated lock; foryou_realtime_bench, the one
#             library no test links, is built for that check), then run, but for six quality
#             tests that run in the release stage only; the release stage already built the
#             binary and the benchmarks
#   tsan      the concurrency tests (labels *_concurrency) built with clang and TSan
# The sanitizer builds do not wait for their stages: once the release build is done they run in
# the background at the lowest CPU priority (nice 19, asan then tsan), so they take the CPU the
# release stage's tests leave idle (they mostly wait on processes and Kafka) and the tsan build
# what the asan tests leave; they are paused during the browser tests. Each sanitizer stage waits
# for its build, then runs its tests in the foreground.
# STAGES="release web" limits the run to those stages. JOBS sets the parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
STAGES=${STAGES:-"release web asan tsan"}
CTEST=(ctest --output-on-failure --no-tests=error -j "$JOBS")
summary=()
log_dir=$(mktemp -d)
builder=""
signal_tree() {  # signal_tree SIGNAL PID: PID, then every process under it
  local child
  kill -"$1" "$2" 2>/dev/null || true
  for child in $(pgrep -P "$2" || true); do signal_tree "$1" "$child"; done
}
kill_tree() {  # kill_tree PID: PID and every process under it
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
trap '[ -z "$builder" ] || kill_tree "$builder"; rm -rf "$log_dir"' EXIT

# ctest_counts LOG: "N tests, K skipped" from a ctest log (ctest marks a GTEST_SKIP as Skipped and
# prints its reason with --output-on-failure).
ctest_counts() {
  local total skipped
  total=$(grep -Eo 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | grep -Eo '[0-9]+$' | tail -1)
  skipped=$(grep -c '\*\*\*Skipped' "$1" || true)
  echo "${total:-0} tests, ${skipped} skipped"
}

# run_ctest DIR LABEL_REGEX NAME [EXCLUDE_REGEX [INCLUDE_REGEX]]
run_ctest() {
  local log="$log_dir/$3.log"
  local exclude=() include=()
  [ -n "${4:-}" ] && exclude=(-E "$4")
  [ -n "${5:-}" ] && include=(-R "$5")
  (cd "$1" && "${CTEST[@]}" -L "$2" "${exclude[@]}" "${include[@]}") 2>&1 | tee "$log"
  counts=$(ctest_counts "$log")
  if grep -q '\*\*\*Skipped' "$log"; then
    echo "== $3: skipped tests (the reason is in each test's output above):"
    grep '\*\*\*Skipped' "$log" | sed 's/^/   /'
  fi
}

stage() {  # stage NAME COMMAND...
  local name=$1
  shift
  local start=$SECONDS
  counts=""
  echo "== stage $name"
  "$@"
  summary+=("$(printf '%-8s %5d s  %s' "$name" $((SECONDS - start)) "$counts")")
}

# The release stage builds the binary (the web stage runs it), the libraries and the benchmarks,
# and of the tests only the binaries holding the release-only quality tests, which it runs; every
# other unit and integration test runs in the asan stage (compiling them all with GCC as well
# took ~250 s of the 20 minutes). The cache is put back to build every test by default after.
release() {
  bash scripts/install_deps.sh
  make --no-print-directory web
  cmake --preset release -DFORYOU_TESTS_IN_ALL=OFF >/dev/null
  cmake --build --preset release -j "$JOBS"
  cmake --build --preset release -j "$JOBS" --target sim_integration_tests \
    kuairand_integration_tests
  start_sanitizer_builds
  run_ctest build/release integration release "" "$ASAN_RELEASE_ONLY"
  cmake --preset release -DFORYOU_TESTS_IN_ALL=ON >/dev/null
}

web() {
  local log="$log_dir/web.log"
  # The background build is paused meanwhile: chromium lowers its renderers' priority, so even a
  # nice-19 compile made them late for the gestures' frames.
  [ -z "$builder" ] || signal_tree STOP "$builder"
  # Two test files at a time (each starts its own server and browser on its own port and data
  # directory): the files mostly wait on the browser, 96 -> 71 s on 2 cores.
  (cd web && node --test --test-concurrency=2 test/) 2>&1 | tee "$log" ||
    { [ -z "$builder" ] || signal_tree CONT "$builder"; return 1; }
  [ -z "$builder" ] || signal_tree CONT "$builder"
  local pass skip
  pass=$(grep -Eo '^# pass [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  skip=$(grep -Eo '^# skipped [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  counts="$pass tests, $skip skipped"
}

# The six quality tests (simulated traffic and real-log replays, judged by their figures) run in
# the release stage only: under ASan they took ~95 of the stage's ~200 s of test CPU; every other
# test of their modules (sim, trainer, kuairand) still runs under ASan. kafka_kill_test runs the
# release `foryou` (an ASan build of the whole binary for one test would double the stage's
# build). upload_kill_test runs the
# release `foryou` with its media workers: an ASan worker cannot start under the worker's 2 GB
# RLIMIT_AS (ASan reserves terabytes of shadow address space). kafka_roles_test,
# kafka_front_test and kafka_faults_test: as kafka_kill_test.
ASAN_RELEASE_ONLY='^(upload_kill_test|kafka_kill_test|kafka_roles_test|kafka_front_test|kafka_faults_test|SimulatorTest\.(AFeedbackLoopDoesWorseThanLearningTastesInTheCalibratedWorld|LiveFeedsObeyTheRulesAndBeatARandomFeed|LockstepRunsAreReproducible)|LogReplayTest\.(RealLogSliceMatchesTheDirectReplay|BatchesNeverMixWarmupAndEvalRows)|ReplayTest\.RealLogSliceBeatsASanityFloor)$'

asan_build() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$JOBS" --target tests_unit tests_unit_concurrency \
    tests_integration tests_integration_concurrency foryou_realtime_bench
}

tsan_build() {
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target tests_unit_concurrency \
    tests_integration_concurrency
}

# start_sanitizer_builds: the builds of the sanitizer stages in STAGES, one after the other, in
# the background at nice 19; each leaves its log in $log_dir/NAME.build.log, its exit status in
# $log_dir/NAME.build.rc and its seconds in $log_dir/NAME.build.s. Once per run.
start_sanitizer_builds() {
  [ -z "$builder" ] || return 0
  local names=() s
  for s in $STAGES; do
    case $s in asan | tsan) names+=("$s") ;; esac
  done
  [ "${#names[@]}" -gt 0 ] || return 0
  (
    renice -n 19 -p "$BASHPID" >/dev/null
    set +e
    for s in "${names[@]}"; do
      start=$SECONDS
      "${s}_build" >"$log_dir/$s.build.log" 2>&1
      rc=$?
      echo $((SECONDS - start)) >"$log_dir/$s.build.s"
      echo "$rc" >"$log_dir/$s.build.rc"
      [ "$rc" = 0 ] || exit "$rc"
    done
  ) &
  builder=$!
}

# await_build NAME: until the background build of stage NAME is done; prints its log; fails
# with it.
await_build() {
  start_sanitizer_builds
  while [ ! -f "$log_dir/$1.build.rc" ]; do
    if ! kill -0 "$builder" 2>/dev/null && [ ! -f "$log_dir/$1.build.rc" ]; then
      echo "== $1: the background build stopped without finishing"
      cat "$log_dir/$1.build.log" 2>/dev/null || true
      return 1
    fi
    sleep 1
  done
  cat "$log_dir/$1.build.log"
  echo "== $1: built in $(cat "$log_dir/$1.build.s") s in the background"
  [ "$(cat "$log_dir/$1.build.rc")" = 0 ] || { echo "== $1: the build failed"; return 1; }
}

asan() {
  echo "== asan: release-only quality tests (run in the release stage): $ASAN_RELEASE_ONLY"
  await_build asan
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_ctest build/asan 'unit|integration' asan "$ASAN_RELEASE_ONLY"
}

tsan() {
  await_build tsan
  TSAN_OPTIONS=halt_on_error=1 run_ctest build/tsan concurrency tsan
}

total_start=$SECONDS
for s in $STAGES; do
  stage "$s" "$s"
done
echo
echo "== make test: every stage passed"
printf '%s\n' "${summary[@]}"
printf '%-8s %5d s\n' total $((SECONDS - total_start))
for s in asan tsan; do
  [ -f "$log_dir/$s.build.s" ] &&
    printf '%-8s %5d s  (its build, in the background at nice 19, within the stages above)\n' \
      "$s" "$(cat "$log_dir/$s.build.s")"
done
exit 0
