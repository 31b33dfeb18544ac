#!/usr/bin/env bash
# The media worker's transcode against the ffmpeg CLI doing the same work, on a 20 s 1080p30
# H.264 + AAC clip: one decode, one graph split into 720- and 360-line renditions (x264 preset
# veryfast, CRF 23, 2 threads for decoding, filtering and encoding), AAC 128 kb/s at 44.1 kHz
# stereo into both MP4s (+faststart) and sound.m4a. The worker also writes four JPEG stills.
# Runs alternate (worker, CLI, worker, ...) so a busy machine slows both alike; prints each run,
# the medians and their ratio (worker / CLI).
# Usage: bench/transcode.sh [WORKER] [RUNS]; WORKER is `foryou` (run as `foryou media-worker`) or
# the standalone `media_worker` (same code, src/media/media_worker_main.cc); default: whichever of
# build/release/foryou, build/release/src/media/media_worker exists.
set -euo pipefail
BIN=${1:-${FORYOU_BIN:-}}
if [ -z "$BIN" ]; then
  BIN=build/release/foryou
  [ -x "$BIN" ] || BIN=build/release/src/media/media_worker
fi
RUNS=${2:-3}
WORKER=("$BIN")
[ "$(basename "$BIN")" = foryou ] && WORKER=("$BIN" media-worker --job)
WORK=$(mktemp -d /tmp/foryou_transcode_bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=20 \
  -f lavfi -i sine=frequency=440:duration=20 -c:v libx264 -preset ultrafast -crf 18 \
  -pix_fmt yuv420p -c:a aac -b:a 128k -movflags +faststart "$WORK/in.mp4"
mkdir -p "$WORK/worker" "$WORK/cli"
cat > "$WORK/job.json" <<JSON
{"kind":"transcode","input":"$WORK/in.mp4","out_dir":"$WORK/worker","effect":"",
 "sound_input":"","duet_input":"","stitch_input":"","limits":{}}
JSON

AFMT="aresample=44100,aformat=sample_fmts=fltp:channel_layouts=stereo"
GRAPH="[0:v]null[vm];[vm]null[vc];[vc]split=2[s720][s360];[s720]scale=-2:720,format=yuv420p[o720];\
[s360]scale=-2:360,format=yuv420p[o360];[0:a]anull[ac];[ac]$AFMT,asplit=3[oa1][oa2][oa3]"
X264=(-c:v libx264 -preset veryfast -crf 23 -threads 2)
AAC=(-c:a aac -b:a 128k)

now() { date +%s.%N; }
worker_run() {
  local t0; t0=$(now)
  if [ "${#WORKER[@]}" -gt 1 ]; then
    "${WORKER[@]}" "$WORK/job.json" --result "$WORK/result.json"
  else
    "$BIN" "$WORK/job.json" "$WORK/result.json"
  fi
  echo "$(now) - $t0" | bc
}
cli_run() {
  local t0; t0=$(now)
  ffmpeg -nostdin -v error -y -threads 2 -i "$WORK/in.mp4" -filter_threads 2 \
    -filter_complex "$GRAPH" \
    -map '[o720]' -map '[oa1]' "${X264[@]}" "${AAC[@]}" -movflags +faststart "$WORK/cli/720.mp4" \
    -map '[o360]' -map '[oa2]' "${X264[@]}" "${AAC[@]}" -movflags +faststart "$WORK/cli/360.mp4" \
    -map '[oa3]' "${AAC[@]}" -movflags +faststart "$WORK/cli/sound.m4a"
  echo "$(now) - $t0" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

w=(); c=()
for i in $(seq "$RUNS"); do
  w+=("$(worker_run)"); c+=("$(cli_run)")
  echo "run $i: worker ${w[-1]} s, ffmpeg CLI ${c[-1]} s"
done
wm=$(printf '%s\n' "${w[@]}" | median)
cm=$(printf '%s\n' "${c[@]}" | median)
echo "median: worker $wm s, ffmpeg CLI $cm s, ratio $(echo "scale=2; $wm / $cm" | bc)"
