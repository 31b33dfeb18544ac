#!/usr/bin/env bash
# Duplicate-detection bench (docs/design/moderation_dedup.md): generates distinct short clips
# with the ffmpeg CLI, makes five transformed copies of each (low bitrate, 480p, 5% crop, text
# overlay, mirror), then runs dedup_bench: detection and false-match rates of DctHash (whole
# frame and centre), PHash and BlockMeanHash, and DuplicateIndex detection, false matches and
# lookup latency against a 100k-video index, for the configured run distance and a few others.
#
#   bench/dedup.sh [BUILD_DIR] [WORK_DIR]    (defaults: build/release, /tmp/foryou_dedup_bench)
# The clips are kept in WORK_DIR and reused by the next run. Last line:
#   dedup detect_pct=.. false_match_pct=.. lookup_p50_us=.. lookup_p99_us=..
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/release}
WORK=${2:-/tmp/foryou_dedup_bench}
VIDEOS=${DEDUP_VIDEOS:-100000}
MAX_DISTANCE=${DEDUP_MAX_DISTANCE:-10}  # the index's max_frame_distance (config/dedup.json)
ALIGNED=${DEDUP_ALIGNED_DISTANCE:-16}   # aligned_frame_distance (config/dedup.json)
# Other aligned_frame_distance values (D, or D/K with min_aligned_frames K), one line each.
COMPARE=${DEDUP_COMPARE_ALIGNED:-10,12,14,15,18,20,16/3,18/3,20/3}
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
mkdir -p "$WORK"

# Distinct sources: lavfi generators with different patterns, parameters and seeds. Each is
# 4 s at 1280x720, 15 fps. life and cellauto run on a 64x36 grid scaled up (20-pixel cells):
# on a finer grid their frames are noise with almost no low-frequency structure, which no
# perceptual hash keeps through a low-bitrate encode (docs/design/moderation_dedup.md).
SRC=(
  "testsrc=size=1280x720:rate=15"
  "testsrc2=size=1280x720:rate=15"
  "smptehdbars=size=1280x720:rate=15"
  "rgbtestsrc=size=1280x720:rate=15"
  "mandelbrot=size=1280x720:rate=15"
  "mandelbrot=size=1280x720:rate=15:start_x=-0.743643887037151:start_y=0.131825904205330:start_scale=0.05"
  "mandelbrot=size=1280x720:rate=15:start_x=0.2:start_y=0.55:start_scale=0.3:outer=normalized_iteration_count"
  "mandelbrot=size=1280x720:rate=15:start_x=-1.25:start_y=0.05:start_scale=0.2:inner=period"
)
for seed in 1 2 3 4 5 6; do
  SRC+=("life=size=64x36:rate=15:seed=$seed:ratio=0.$((seed + 1)):mold=10:life_color=#$(printf '%02x' $((seed * 40)))ff80:death_color=#202020,scale=1280:720:flags=neighbor")
done
for rule in 18 30 45 60 73 90 105 110 150 193; do
  SRC+=("cellauto=size=64x36:rate=15:rule=$rule:seed=$rule:random_fill_ratio=0.5,scale=1280:720:flags=neighbor")
done
for seed in 1 2 3 4 5 6; do
  SRC+=("gradients=size=1280x720:rate=15:seed=$seed:speed=0.0$seed:nb_colors=$((2 + seed % 5))")
done
for seed in 1 2 3 4; do
  SRC+=("sierpinski=size=1280x720:rate=15:seed=$seed:jump=$((seed * 20)):type=$(( seed % 2 == 0 ? 1 : 0 ))")
done
N=${#SRC[@]}

declare -A XF=(
  [lowrate]="-vf null -b:v 120k -maxrate 120k -bufsize 240k"
  [scale480]="-vf scale=-2:480"
  [crop5]="-vf crop=iw*0.95:ih*0.95"
  [text]="-vf drawtext=fontfile=$FONT:text=@reposter_follow_me:fontsize=h/14:fontcolor=white:box=1:boxcolor=black@0.6:x=(w-tw)/2:y=h*0.82"
  [mirror]="-vf hflip"
)
TRANSFORMS=lowrate,scale480,crop5,text,mirror
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y -threads 1 "$@"; }
for ((i = 0; i < N; i++)); do
  base=$(printf 's%02d' "$i")
  if [ ! -s "$WORK/$base.mp4" ]; then
    ff -f lavfi -i "${SRC[$i]}" -t 4 -c:v libx264 -preset veryfast -pix_fmt yuv420p "$WORK/$base.mp4"
  fi
  for t in ${TRANSFORMS//,/ }; do
    if [ ! -s "$WORK/${base}_$t.mp4" ]; then
      # shellcheck disable=SC2086
      ff -i "$WORK/$base.mp4" ${XF[$t]} -c:v libx264 -preset veryfast "$WORK/${base}_$t.mp4"
    fi
  done
done
echo "sources=$N transforms=$TRANSFORMS clips in $WORK"
"$BUILD/src/moderation/dedup_bench" --dir "$WORK" --sources "$N" --transforms "$TRANSFORMS" \
  --videos "$VIDEOS" --max-distance "$MAX_DISTANCE" --aligned-distance "$ALIGNED" \
  --compare-aligned "$COMPARE"
