#!/usr/bin/env bash
# Generates the demo's placeholder videos, each OUT_DIR/NAME.webm with its cover OUT_DIR/NAME.jpg
# (the first frame), for each NAME whose two files do not both exist yet. A clip is 270x480 VP8
# at 24 fps with a quiet Vorbis tone: a background colour, a pattern (stripes or grid), a box
# moving across it (one of three directions), and a tone pitch, all derived from the clip's
# category, its label in large type and "generated clip" below. Served by `foryou serve
# --media-dir OUT_DIR` at /media/; the web app shows the cover on tiles and as the poster.
#
#   scripts/make_clips.sh [--seconds N] OUT_DIR NAME...   # N-second clips labelled "#NAME" (4 s)
#   scripts/make_clips.sh --kuairand OUT_DIR KUAIRAND_DIR  # the KuaiRand import's clips
#   scripts/make_clips.sh --kuairand --list KUAIRAND_DIR   # print their names only
#
# --kuairand makes the clips whose media_url the KuaiRand import assigns
# (src/kuairand/catalog_import.h, KuaiRandMediaUrl): "<topic>_<S>s" for each distinct pair of
# first tag ("topic<N>", "untagged" without a tag) and clip length S of
# KUAIRAND_DIR/video_features_basic_pure.csv[.zst], where S is the video's duration rounded to
# the nearest 5 s, at least 5 and at most 15 (the disk cap), 5 when unknown. Each topic's 5 s
# clip is encoded (labelled "Topic <N>"); its 10 s and 15 s clips repeat it (stream copy, no
# re-encoding), so the time spent grows with the topics, not with the total length.
# Needs ffmpeg (with libvpx, libvorbis, libfreetype), fonts-dejavu-core, and zstd for .zst.
# Encodes two clips at a time (JOBS=N to change).
set -euo pipefail

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
JOBS=${JOBS:-2}
STEP=5   # kClipStepSeconds in src/kuairand/catalog_import.h
CAP=15   # kClipCapSeconds

usage() {
  echo "usage: $0 [--seconds N] OUT_DIR NAME...  |  $0 --kuairand OUT_DIR KUAIRAND_DIR" \
    "|  $0 --kuairand --list KUAIRAND_DIR" >&2
  exit 2
}

# encode_clip OUT_DIR NAME SECONDS LABEL KEY: one clip and its cover, encoded. The look comes
# from KEY (clips of one category share it). NAME and KEY: letters, digits, '_', '-', '.' only;
# LABEL: those and spaces (anything else would need escaping inside the filter graph).
encode_clip() {
  local out_dir=$1 name=$2 secs=$3 label=$4 key=$5
  local out="$out_dir/$name.webm" cover="$out_dir/$name.jpg"
  [ -e "$out" ] && [ -e "$cover" ] && return 0
  if [[ ! "$name" =~ ^[A-Za-z0-9_.-]+$ || ! "$label" =~ ^[#A-Za-z0-9_.\ -]+$ ]]; then
    echo "make_clips: skipping '$name' (only letters, digits, '_', '-', '.')" >&2
    return 0
  fi
  local h r g b freq pattern motion box
  h=$(printf '%s' "$key" | cksum | cut -d' ' -f1)
  # Mid-dark colours keep white text readable.
  r=$((40 + h % 150)); g=$((40 + (h / 150) % 150)); b=$((40 + (h / 22500) % 150))
  freq=$((220 + (h / 7) % 440))
  box=$((36 + (h / 11) % 40))
  case $(((h / 13) % 4)) in
    0) pattern="drawgrid=w=iw:h=48:t=24:c=white@0.12" ;;  # horizontal stripes
    1) pattern="drawgrid=w=48:h=ih:t=24:c=white@0.12" ;;  # vertical stripes
    2) pattern="drawgrid=w=54:h=54:t=4:c=white@0.22" ;;   # a fine grid
    *) pattern="drawgrid=w=90:h=90:t=45:c=black@0.18" ;;  # large blocks
  esac
  # The box crosses the frame once per clip, so a repeated clip moves without a jump.
  local across="mod(t*(W+w)/$secs\,W+w)-w" down="mod(t*(H+h)/$secs\,H+h)-h"
  case $(((h / 17) % 3)) in
    0) motion="x='$across':y=H-140" ;;
    1) motion="x=30:y='$down'" ;;
    *) motion="x='$across':y='$down'" ;;
  esac
  local colour
  colour=$(printf '0x%02x%02x%02x' "$r" "$g" "$b")
  local tmp="$out.tmp.$$.webm" tmp_cover="$cover.tmp.$$.jpg"
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "color=c=$colour:s=270x480:r=24:d=$secs" \
    -f lavfi -i "color=c=white@0.85:s=${box}x${box}:r=24:d=$secs" \
    -f lavfi -i "sine=frequency=$freq:sample_rate=48000:duration=$secs" \
    -filter_complex "[0:v]$pattern[bg];[bg][1:v]overlay=$motion:shortest=1,\
drawtext=fontfile=$FONT:text='$label':fontsize=40:fontcolor=white:borderw=3:bordercolor=black@0.5:x=(w-tw)/2:y=(h-th)/2-40,\
drawtext=fontfile=$FONT:text='generated clip':fontsize=18:fontcolor=white@0.9:borderw=2:bordercolor=black@0.4:x=(w-tw)/2:y=(h/2)+20,\
split[v][c];[2:a]volume=0.25[a]" \
    -map "[v]" -map "[a]" -threads 1 \
    -c:v libvpx -deadline realtime -cpu-used 8 -b:v 160k -g 48 \
    -c:a libvorbis -ac 1 -b:a 48k -shortest -f webm "$tmp" \
    -map "[c]" -frames:v 1 -q:v 5 -f image2 "$tmp_cover"
  mv "$tmp_cover" "$cover"
  mv "$tmp" "$out"
}

# repeat_clips OUT_DIR BASE SECONDS...: for each SECONDS, BASE_<SECONDS>s.webm is
# BASE_<STEP>s.webm repeated to that length (stream copy, one ffmpeg for all), its cover a copy of
# the base's.
repeat_clips() {
  local out_dir=$1 base=$2
  shift 2
  local args=() made=() secs
  for secs in "$@"; do
    local out="$out_dir/${base}_${secs}s.webm" cover="$out_dir/${base}_${secs}s.jpg"
    [ -e "$out" ] && [ -e "$cover" ] && continue
    args+=(-t "$secs" -c copy -f webm "$out.tmp.$$.webm")
    made+=("$out")
  done
  [ ${#made[@]} -eq 0 ] && return 0
  ffmpeg -nostdin -hide_banner -loglevel error -y -stream_loop -1 \
    -i "$out_dir/${base}_${STEP}s.webm" "${args[@]}"
  local out
  for out in "${made[@]}"; do
    cp "$out_dir/${base}_${STEP}s.jpg" "${out%.webm}.jpg.tmp.$$"
    mv "${out%.webm}.jpg.tmp.$$" "${out%.webm}.jpg"
    mv "$out.tmp.$$.webm" "$out"
  done
}

# "<topic> <seconds>" for each distinct clip the KuaiRand import uses (see the header comment).
kuairand_clips() {
  local dir=$1 csv
  if [ -f "$dir/video_features_basic_pure.csv" ]; then
    csv=(cat "$dir/video_features_basic_pure.csv")
  elif [ -f "$dir/video_features_basic_pure.csv.zst" ]; then
    csv=(zstd -dcq "$dir/video_features_basic_pure.csv.zst")
  else
    echo "make_clips: no video_features_basic_pure.csv[.zst] in $dir" >&2
    return 1
  fi
  # The tag column may be quoted ("39,68", the category first) and is the only column that
  # holds commas: the fields before it split plainly. A bad duration reads as unknown (0), as
  # in the import.
  "${csv[@]}" | awk -F, -v step="$STEP" -v cap="$CAP" '
    NR == 1 {
      for (i = 1; i <= NF; ++i) { if ($i == "tag") col = i; if ($i == "video_duration") dur = i }
      next
    }
    col == 0 || dur == 0 { exit 1 }
    {
      t = $col; gsub(/["[:space:]]/, "", t); sub(/,.*/, "", t)
      d = ($dur ~ /^[0-9]+(\.0*)?$/) ? $dur + 0 : 0
      s = (d <= 0) ? step : int((d + step * 500) / (step * 1000)) * step
      if (s < step) s = step
      if (s > cap) s = cap
      print (t == "" ? "untagged" : "topic" tolower(t)), s
    }' | sort -u
}

[ $# -ge 1 ] || usage
secs=4
list=0
kuairand=0
case "$1" in
  --kuairand)
    kuairand=1
    shift
    if [ "${1:-}" = "--list" ]; then list=1; shift; fi
    if [ $list -eq 1 ]; then [ $# -eq 1 ] || usage; else [ $# -eq 2 ] || usage; fi
    ;;
  --seconds)
    [ $# -ge 3 ] || usage
    [[ "$2" =~ ^[1-9][0-9]?$ ]] || { echo "make_clips: --seconds takes 1..99" >&2; exit 2; }
    secs=$2
    shift 2
    ;;
esac

if [ $kuairand -eq 1 ]; then
  src=${!#}
  mapfile -t clips < <(kuairand_clips "$src")
  [ ${#clips[@]} -gt 0 ] || { echo "make_clips: no videos found in $src" >&2; exit 1; }
  if [ $list -eq 1 ]; then
    for c in "${clips[@]}"; do echo "${c% *}_${c#* }s"; done
    exit 0
  fi
  out_dir=$1
else
  [ $# -ge 2 ] || usage
  out_dir=$1
  shift
  names=("$@")
fi

command -v ffmpeg >/dev/null || { echo "make_clips: ffmpeg not found (scripts/install_deps.sh)" >&2; exit 1; }
[ -f "$FONT" ] || { echo "make_clips: $FONT not found (fonts-dejavu-core)" >&2; exit 1; }
mkdir -p "$out_dir"
export -f encode_clip repeat_clips
export FONT STEP
if [ $kuairand -eq 0 ]; then
  printf '%s\0' "${names[@]}" |
    xargs -0 -n1 -P "$JOBS" bash -c 'encode_clip "$0" "$2" "$1" "#$2" "$2"' "$out_dir" "$secs"
  echo "make_clips: ${#names[@]} clips in $out_dir" >&2
  exit 0
fi
# Per topic (two at a time): its STEP-second clip encoded, then the longer ones repeating it.
mapfile -t topics < <(printf '%s\n' "${clips[@]%% *}" | sort -u)
for t in "${topics[@]}"; do
  lengths=()
  for c in "${clips[@]}"; do
    [ "${c% *}" = "$t" ] && [ "${c#* }" -ne "$STEP" ] && lengths+=("${c#* }")
  done
  printf '%s\0' "$t ${lengths[*]}"
done | xargs -0 -n1 -P "$JOBS" bash -c '
  read -r t lengths <<< "$1"; label=Untagged
  [[ "$t" == topic* ]] && label="Topic ${t#topic}"
  encode_clip "$0" "${t}_${STEP}s" "$STEP" "$label" "$t"
  # shellcheck disable=SC2086
  repeat_clips "$0" "$t" $lengths' "$out_dir"
echo "make_clips: ${#clips[@]} clips for ${#topics[@]} topics in $out_dir" \
  "($(du -sh "$out_dir" | cut -f1) on disk)" >&2
