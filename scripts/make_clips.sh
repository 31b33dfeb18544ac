#!/usr/bin/env bash
# Generates the demo's placeholder videos: OUT_DIR/NAME.webm for each NAME that does not exist
# yet. A clip is 4 s of 360x640 VP8 at 24 fps with a quiet Vorbis tone: a background colour and
# a tone pitch derived from the name, "#NAME" in large type, a running clock and a sliding box
# (so a playing clip visibly moves). Served by `foryou serve --media-dir OUT_DIR` at /media/.
#
#   scripts/make_clips.sh OUT_DIR NAME...
#   scripts/make_clips.sh --kuairand OUT_DIR KUAIRAND_DIR
#
# --kuairand makes one clip per media_url the KuaiRand import assigns
# (src/kuairand/catalog_import.cc, KuaiRandMediaUrl): "tag<N>" for each distinct first tag of
# KUAIRAND_DIR/video_features_basic_pure.csv[.zst], and "untagged" if a video has no tag.
# Needs ffmpeg (with libvpx, libvorbis, libfreetype), fonts-dejavu-core, and zstd for .zst.
# Encodes two clips at a time (JOBS=N to change).
set -euo pipefail

FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
JOBS=${JOBS:-2}

usage() {
  echo "usage: $0 OUT_DIR NAME...   |   $0 --kuairand OUT_DIR KUAIRAND_DIR" >&2
  exit 2
}

# One clip. Names are hashtags / file names: letters, digits, '_', '-', '.' only (anything else
# would need escaping inside the filter graph).
make_clip() {
  local out_dir=$1 name=$2
  local out="$out_dir/$name.webm"
  [ -e "$out" ] && return 0
  if [[ ! "$name" =~ ^[A-Za-z0-9_.-]+$ ]]; then
    echo "make_clips: skipping '$name' (only letters, digits, '_', '-', '.')" >&2
    return 0
  fi
  local h r g b freq
  h=$(printf '%s' "$name" | cksum | cut -d' ' -f1)
  # Mid-dark colours keep white text readable.
  r=$((40 + h % 150)); g=$((40 + (h / 150) % 150)); b=$((40 + (h / 22500) % 150))
  freq=$((220 + (h / 7) % 440))
  local colour
  colour=$(printf '0x%02x%02x%02x' "$r" "$g" "$b")
  local tmp="$out.tmp.$$.webm"
  ffmpeg -nostdin -hide_banner -loglevel error -y \
    -f lavfi -i "color=c=$colour:s=360x640:r=24:d=4" \
    -f lavfi -i "color=c=white@0.85:s=60x60:r=24:d=4" \
    -f lavfi -i "sine=frequency=$freq:sample_rate=48000:duration=4" \
    -filter_complex "[0:v][1:v]overlay=x='mod(t*150\,W+60)-60':y=H-150:shortest=1,\
drawtext=fontfile=$FONT:text='#$name':fontsize=52:fontcolor=white:borderw=3:bordercolor=black@0.5:x=(w-tw)/2:y=(h-th)/2-60,\
drawtext=fontfile=$FONT:text='%{eif\:t\:d}.%{eif\:mod(t*10\,10)\:d} s':fontsize=30:fontcolor=white@0.9:x=(w-tw)/2:y=(h/2)+20[v];\
[2:a]volume=0.25[a]" \
    -map "[v]" -map "[a]" -threads 1 \
    -c:v libvpx -deadline realtime -cpu-used 8 -b:v 200k -g 48 \
    -c:a libvorbis -ac 1 -b:a 48k -shortest "$tmp"
  mv "$tmp" "$out"
}

# The names the KuaiRand import uses (see the header comment).
kuairand_names() {
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
  # holds commas: the fields before it split plainly.
  "${csv[@]}" | awk -F, '
    NR == 1 { for (i = 1; i <= NF; ++i) if ($i == "tag") col = i; next }
    col == 0 { exit 1 }
    {
      t = $col; gsub(/["[:space:]]/, "", t)
      print (t == "" ? "untagged" : "tag" tolower(t))
    }' | sort -u
}

[ $# -ge 1 ] || usage
if [ "$1" = "--kuairand" ]; then
  [ $# -eq 3 ] || usage
  out_dir=$2
  mapfile -t names < <(kuairand_names "$3")
  [ ${#names[@]} -gt 0 ] || { echo "make_clips: no tags found in $3" >&2; exit 1; }
else
  [ $# -ge 2 ] || usage
  out_dir=$1
  shift
  names=("$@")
fi

command -v ffmpeg >/dev/null || { echo "make_clips: ffmpeg not found (scripts/install_deps.sh)" >&2; exit 1; }
[ -f "$FONT" ] || { echo "make_clips: $FONT not found (fonts-dejavu-core)" >&2; exit 1; }
mkdir -p "$out_dir"
export -f make_clip
export FONT
printf '%s\0' "${names[@]}" | xargs -0 -n1 -P "$JOBS" bash -c 'make_clip "$0" "$1"' "$out_dir"
echo "make_clips: ${#names[@]} clips in $out_dir" >&2
