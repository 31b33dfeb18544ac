#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets (fuzz/, the `fuzz` preset: clang, ASan+UBSan, every
# library instrumented for coverage) and fuzzes each for FUZZ_SECONDS (default 60), seeded with
# its corpus in the repository (fuzz/corpus/TARGET/, never written to). New inputs go to
# build/fuzz/work/TARGET/, crashing inputs to build/fuzz/crashes/ (kept: add each to the corpus
# once fixed). The last line is
#   fuzz targets=N execs=M crashes=K
# and the exit status is non-zero when K > 0.
# Environment: FUZZ_SECONDS, FUZZ_TARGETS ("event_json csv ..."; default: every target),
# JOBS (build parallelism, default nproc), FUZZ_ARGS (more libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-$(nproc)}
build=build/fuzz
cmake --preset fuzz >/dev/null
cmake --build "$build" -j "$jobs" --target fuzz_targets

targets=${FUZZ_TARGETS:-$(cd fuzz && ls -1 ./*_fuzz.cc | sed 's|^\./||; s|_fuzz\.cc$||')}
mkdir -p "$build/crashes"
n=0 execs=0 crashes=0
for t in $targets; do
  [ -x "$build/fuzz/${t}_fuzz" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  work="$build/work/$t"
  mkdir -p "$work"
  log="$build/work/$t.log"
  echo "== fuzz $t: ${seconds} s"
  before=$(find "$build/crashes" -name "$t-*" | wc -l)
  set +e
  # The first corpus directory receives new inputs; the repository's corpus only seeds.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$build/fuzz/${t}_fuzz" -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 \
    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$build/crashes/$t-" ${FUZZ_ARGS:-} \
    "$work" "fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -1)
  after=$(find "$build/crashes" -name "$t-*" | wc -l)
  found=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found=1; fi  # died without an artifact
  if [ "$found" -gt 0 ]; then
    echo "fuzz $t: CRASH (exit $rc); input(s) in $build/crashes/$t-*, output in $log:"
    grep -E 'ERROR: |runtime error|fuzz check failed|^ *#[0-9]+ ' "$log" | head -25
  fi
  echo "fuzz $t: execs=${runs:-0} corpus=$(ls "$work" | wc -l) crashes=$found"
  n=$((n + 1)) execs=$((execs + ${runs:-0})) crashes=$((crashes + found))
done
echo "fuzz targets=$n execs=$execs crashes=$crashes"
[ "$crashes" -eq 0 ]
