#!/usr/bin/env bash
# `make test`: every stage of the test suite, in order, stopping at the first that fails, then a
# table of the time each stage took and how many tests it ran and skipped.
#   asan      the whole tree built with clang, ASan+UBSan and -Wthread-safety -Werror (clang's
#             thread-safety analysis checks every annotated lock): the libraries, the binary and
#             the fuzz targets (the benchmarks are the release build's); then every unit and integration
#             test, with the fuzz targets' corpus replays, the quality tests (simulations and
#             real-log replays) and the tests that run the binary (kill tests, the Kafka
#             processes, uploads through the media worker)
#   tsan      the concurrency tests (labels *_concurrency) built with clang and TSan
#   web       the browser tests (Debian's chromium driven by playwright-core) against the asan
#             stage's binary
#   release   not in the default run (`make test-release`): the GCC release build of the whole
#             tree and every unit and integration test in it; `make test` compiles with clang
#             only, to fit its time (docs/design/build.md)
# When the tsan stage follows the asan stage, its build runs in the background at nice 19 while
# the asan tests run: many of them wait on processes, Kafka and the disk, and the build takes the
# CPU they leave.
# STAGES="asan tsan" limits the run to those stages. JOBS sets the parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
STAGES=${STAGES:-"asan tsan web"}
CTEST_JOBS=${CTEST_JOBS:-$JOBS}
CTEST=(ctest --output-on-failure --no-tests=error -j "$CTEST_JOBS")
summary=()
log_dir=$(mktemp -d)
tsan_builder=""
kill_tree() {  # kill_tree PID: PID and every process under it
  local child
  for child in $(pgrep -P "$1" || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
trap '[ -z "$tsan_builder" ] || kill_tree "$tsan_builder"; rm -rf "$log_dir"' EXIT

# ctest_counts LOG: "N tests, K skipped" from a ctest log (ctest marks a GTEST_SKIP as Skipped and
# prints its reason with --output-on-failure).
ctest_counts() {
  local total skipped
  total=$(grep -Eo 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | grep -Eo '[0-9]+$' | tail -1)
  skipped=$(grep -c '\*\*\*Skipped' "$1" || true)
  echo "${total:-0} tests, ${skipped} skipped"
}

# run_ctest DIR LABEL_REGEX NAME: the tests of DIR whose label matches, logged as NAME.
run_ctest() {
  local log="$log_dir/$3.log"
  (cd "$1" && "${CTEST[@]}" -L "$2") 2>&1 | tee "$log"
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

asan() {
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$JOBS"
  case " $STAGES " in *" tsan "*) start_tsan_build ;; esac
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_ctest build/asan 'unit|integration' asan
}

tsan_build() {
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j "$JOBS" --target tests_unit_concurrency \
    tests_integration_concurrency
}

# start_tsan_build: the tsan build in the background at nice 19, its output in
# $log_dir/tsan.build.log, its exit status in tsan.build.rc and its seconds in tsan.build.s.
start_tsan_build() {
  ( renice -n 19 -p "$BASHPID" >/dev/null; set +e; start=$SECONDS
    tsan_build >"$log_dir/tsan.build.log" 2>&1; echo $? >"$log_dir/tsan.build.rc"
    echo $((SECONDS - start)) >"$log_dir/tsan.build.s" ) &
  tsan_builder=$!
}

# The browser tests run the asan stage's binary (built here when the stage runs alone): a
# sanitized server under a real browser, and no second build of the tree for it.
web() {
  local log="$log_dir/web.log"
  make --no-print-directory web
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$JOBS" --target foryou
  # Two test files at a time (each starts its own server and browser on its own port and data
  # directory): the files mostly wait on the browser, 96 -> 71 s on 2 cores.
  (cd web && FORYOU_BIN=../build/asan/foryou UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    node --test --test-concurrency=2 test/) 2>&1 | tee "$log"
  local pass skip
  pass=$(grep -Eo '^# pass [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  skip=$(grep -Eo '^# skipped [0-9]+' "$log" | grep -Eo '[0-9]+' || echo 0)
  counts="$pass tests, $skip skipped"
}

tsan() {
  if [ -n "$tsan_builder" ]; then
    wait "$tsan_builder" || true
    tsan_builder=""
    cat "$log_dir/tsan.build.log"
    [ "$(cat "$log_dir/tsan.build.rc" 2>/dev/null)" = 0 ] || { echo "== tsan: the build failed"; return 1; }
  else
    tsan_build
  fi
  TSAN_OPTIONS=halt_on_error=1 run_ctest build/tsan concurrency tsan
}

# The GCC release build and every test in it (`make test-release`; not in the default run).
release() {
  cmake --preset release -DFORYOU_TESTS_IN_ALL=ON >/dev/null
  cmake --build --preset release -j "$JOBS"
  run_ctest build/release 'unit|integration' release
}

total_start=$SECONDS
for s in $STAGES; do
  stage "$s" "$s"
done
echo
echo "== make test: every stage passed"
printf '%s\n' "${summary[@]}"
printf '%-8s %5d s\n' total $((SECONDS - total_start))
[ ! -f "$log_dir/tsan.build.s" ] ||
  echo "(the tsan build took $(cat "$log_dir/tsan.build.s") s in the background, within the asan stage)"
exit 0
