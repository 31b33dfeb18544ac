#!/usr/bin/env bash
# Feature ablations of the ranking model on the KuaiRand week: for each group of features, the
# replay without it (or with it added, for catalog features left out of config/model.json), on
# two splits of the week (train < Apr 29 / eval Apr 29-30, and train < Apr 28 / eval Apr 28-30).
# Prints click / long_view / like AUC per split and the deltas against the full config.
# Usage: bench/ablate.sh   (needs ../shared/data/kuairand-pure; ~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${FORYOU_SHARED_DATA:-../shared/data}/kuairand-pure
if [ ! -d "$DATA" ]; then echo "ablate: $DATA absent: nothing to measure" >&2; exit 0; fi
[ -x build/release/foryou ] || make build >/dev/null
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
bench/split_log.sh "$DATA/log_standard_20220425_20220430.csv.zst" 20220429 "$TMP/a" >/dev/null
bench/split_log.sh "$DATA/log_standard_20220425_20220430.csv.zst" 20220428 "$TMP/b" >/dev/null

aucs() {  # args: split dir, extra replay args -> "click long like"
  build/release/foryou replay --warmup "$1/warm.csv.zst" --eval "$1/eval.csv.zst" \
    --videos "$DATA/video_features_basic_pure.csv" --users "$DATA/user_features_pure.csv" \
    --history "$DATA/user_sequences_before_20220425.csv.zst" --no-progress "${@:2}" |
    tail -1 | tr ' ' '\n' | awk -F= '$1=="auc_is_click"{c=$2} $1=="auc_long_view"{l=$2} $1=="auc_is_like"{k=$2} END{print c, l, k}'
}
read -r a1 a2 a3 <<<"$(aucs "$TMP/a")"
read -r b1 b2 b3 <<<"$(aucs "$TMP/b")"
printf '%-28s %s\n' "variant" "split A: click long_view like (delta) | split B: click long_view like (delta)"
printf '%-28s %.4f %.4f %.4f | %.4f %.4f %.4f\n' "full config" "$a1" "$a2" "$a3" "$b1" "$b2" "$b3"
history=1
while read -r label args; do
  read -r x1 x2 x3 <<<"$(aucs "$TMP/a" $args)"
  read -r y1 y2 y3 <<<"$(aucs "$TMP/b" $args)"
  awk -v l="$label" -v x1="$x1" -v x2="$x2" -v x3="$x3" -v y1="$y1" -v y2="$y2" -v y3="$y3" \
      -v a1="$a1" -v a2="$a2" -v a3="$a3" -v b1="$b1" -v b2="$b2" -v b3="$b3" 'BEGIN{
    printf "%-28s %+.4f %+.4f %+.4f | %+.4f %+.4f %+.4f\n", l, x1-a1, x2-a2, x3-a3, y1-b1, y2-b2, y3-b3}'
done <<'LIST'
-video_id --drop video_id
-author,music,tag --drop author_id,music_id,tag
-type,upload,duration,age --drop video_type,upload_type,duration_bucket,age_bucket
-user_id --drop user_id
-user_profile --drop user.active_degree,user.is_live_streamer,user.is_video_author,user.follow_range,user.fans_range,user.friend_range,user.register_days_range
-hour,weekday --drop hour,weekday
-tab --drop tab
-crosses --drop user_x_author,user_x_tag
-seq.long_view --drop seq.long_view.video,seq.long_view.author
-seq.like.video --drop seq.like.video
-seq.skip --drop seq.skip.video,seq.skip.author
+dense.video_rates --add dense.video_rates
+dense.author_rates --add dense.author_rates
-dense.user_rates --drop dense.user_rates
-dense.user_author,user_tag --drop dense.user_author,dense.user_tag
-dense.video_prior --drop dense.video_prior
+user.onehot0..17 --add user.onehot0,user.onehot1,user.onehot2,user.onehot3,user.onehot4,user.onehot5,user.onehot6,user.onehot7,user.onehot8,user.onehot9,user.onehot10,user.onehot11,user.onehot12,user.onehot13,user.onehot14,user.onehot15,user.onehot16,user.onehot17
+user_x_sound --add user_x_sound
-seq.*.sound,tag --drop seq.long_view.sound,seq.long_view.tag,seq.like.sound,seq.like.tag
+dense.session --add dense.session
+dense.sound_rates,user_sound --add dense.sound_rates,dense.user_sound
LIST
