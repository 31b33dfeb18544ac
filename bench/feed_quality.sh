#!/usr/bin/env bash
# The feed's two quality measurements for one set of feed options, in one run:
#  1. real logs: `foryou replay --feed-hits 2000` on the KuaiRand demo week (warm-up Apr 25-28,
#     eval Apr 29-30): how often the video a user long-viewed next is in their feed's top 50,
#     against a feed of what is trending (ratio = hit_at_50 / popular_hit_at_50);
#  2. the platform's own traffic: `foryou simulate` with seeds 1-3 in the calibrated world
#     (config/sim_world.json) and in the synthetic one: swipes until a new user's feed reaches
#     half the oracle's like rate (median over 20 users, and how many got there), and the same
#     after a taste shift. Simulations are lockstep, so a seed gives the same figures every run.
# The feed options are the defaults, or the file given.
#
# Usage: bench/feed_quality.sh [--feed-config FILE] [--seeds "1 2 3"] [--worlds "calibrated synthetic"]
#                              [--no-replay] [--no-simulate]
# Environment: FORYOU_BIN (default build/release/foryou; nothing is built).
# Each measurement's own result line goes to stderr as it ends; the last line, on stdout:
#   feed_quality config=.. hit_at_50=.. popular_hit_at_50=.. ratio=.. calibrated=new:M1/M2/M3(R1/R2/R3),shift:...
#                synthetic=...
# Takes ~2-3 min for the replay and ~30 s per simulation on 2 cores.
set -euo pipefail
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$script")/.."

bin="${FORYOU_BIN:-build/release/foryou}"
config="" seeds="1 2 3" worlds="calibrated synthetic" replay=1 simulate=1
usage() { sed -n '2,/^set -euo/p' "$script" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --feed-config) config="$2"; shift ;;
    --seeds) seeds="$2"; shift ;;
    --worlds) worlds="$2"; shift ;;
    --no-replay) replay=0 ;;
    --no-simulate) simulate=0 ;;
    -h|--help) usage 0 ;;
    *) echo "feed_quality: unknown argument $1" >&2; usage 2 ;;
  esac
  shift
done
[ -x "$bin" ] || { echo "feed_quality: $bin not found (make build)" >&2; exit 1; }
[ -z "$config" ] || [ -r "$config" ] || { echo "feed_quality: cannot read $config" >&2; exit 1; }
feed_args=()
[ -n "$config" ] && feed_args=(--feed-config "$config")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
demo=demo/kuairand
# A measurement that printed no result line: its last lines of stderr, then exit 1.
fail() { echo "feed_quality: $1 failed:" >&2; tail -5 "$work/err" >&2; exit 1; }
summary="feed_quality config=${config:-defaults}"

if [ "$replay" = 1 ]; then
  bench/split_log.sh "$demo/log_standard_20220425_20220430.csv.zst" 20220429 "$work/split" >/dev/null
  line=$("$bin" replay --warmup "$work/split/warm.csv.zst" --eval "$work/split/eval.csv.zst" \
      --videos "$demo/video_features_basic_pure.csv.zst" --users "$demo/user_features_pure.csv.zst" \
      --history "$demo/user_sequences_before_20220425.csv.zst" --no-progress --feed-hits 2000 \
      --work-dir "$work" "${feed_args[@]}" 2>"$work/err" | grep '^feed_hits ') ||
    fail "replay"
  echo "$line" >&2
  for key in hit_at_50 popular_hit_at_50 ratio; do
    summary+=" $key=$(sed -n "s/.* $key=\([^ ]*\).*/\1/p" <<<"$line")"
  done
fi

if [ "$simulate" = 1 ]; then
  for world in $worlds; do
    new="" new_reached="" shift_="" shift_reached=""
    for seed in $seeds; do
      line=$("$bin" simulate --seed "$seed" --world "$world" "${feed_args[@]}" 2>"$work/err" |
             grep '^simulate new_user') || fail "simulate --seed $seed --world $world"
      echo "simulate world=$world seed=$seed: ${line#simulate }" >&2
      n=$(sed -n 's/.*new_user_swipes_to_half_oracle=\([^ ]*\) (reached \([0-9]*\)\/.*/\1 \2/p' <<<"$line")
      s=$(sed -n 's/.*shift_swipes_to_half_oracle=\([^ ]*\) (reached \([0-9]*\)\/.*/\1 \2/p' <<<"$line")
      new+="${new:+/}${n% *}" new_reached+="${new_reached:+/}${n#* }"
      shift_+="${shift_:+/}${s% *}" shift_reached+="${shift_reached:+/}${s#* }"
    done
    summary+=" $world=new:$new($new_reached),shift:$shift_($shift_reached)"
  done
fi
echo "$summary"
