#!/usr/bin/env bash
# The creator's path end to end on a real `foryou serve` over the KuaiRand demo: a creator signs
# up, uploads a 20 s 1080p30 H.264 + AAC clip (made with the ffmpeg CLI) in chunks of the server's
# `chunk_bytes` (the server runs with a small --max-body so there are several), one chunk cut
# part way (curl with a rate limit and a time limit, so the connection closes with part of the
# body sent) and resumed from the `received` offset that GET /v1/uploads/ID reports, completes
# the post, then polls
#   1. GET /v1/me/videos until the video is feed-eligible (state `limited` or `approved`: the
#      transcode in the media worker ran and moderation let it in), and
#   2. the For You feed of brand-new users (each signed up fresh, paging with count=10 until the
#      feed runs dry or UPLOAD_E2E_PAGES pages) until one page carries the video; every GET
#      /v1/feed is counted in feed_requests.
# A brand-new user has no history: the video can only come through the fresh-upload pool (the
# `fresh` source and the page's fresh slot, docs/design/feed.md "Test pool"), where it competes
# with the demo's other untested uploads; feed_requests says how many pages that took.
#
# Usage: bench/upload_e2e.sh    Environment: FORYOU_BIN (default build/release/foryou),
#   UPLOAD_E2E_DATA (the seeded demo data directory, cached; default build/upload_e2e_data),
#   UPLOAD_E2E_FRESH=1 (reseed), UPLOAD_E2E_MAX_BODY (--max-body, 1048576), UPLOAD_E2E_SECONDS
#   (20), UPLOAD_E2E_PAGES (pages per new user, 10), UPLOAD_E2E_MAX_REQUESTS (feed requests
#   before giving up, 500), UPLOAD_E2E_TIMEOUT_S (processing deadline, 900),
#   UPLOAD_E2E_SERVE_ARGS (more `serve` flags, e.g. `--feed-config FILE`; not for the seeding).
# Prints progress on stderr and, last on stdout:
#   upload_e2e bytes=.. chunks=.. resumed_at=.. complete_to_eligible_ms=.. complete_to_feed_ms=..
#   feed_requests=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${FORYOU_BIN:-build/release/foryou}"
demo=demo/kuairand
seed_log="$demo/log_standard_20220425_20220430.csv.zst"
cache="${UPLOAD_E2E_DATA:-build/upload_e2e_data}"
max_body="${UPLOAD_E2E_MAX_BODY:-1048576}"
seconds="${UPLOAD_E2E_SECONDS:-20}"
pages="${UPLOAD_E2E_PAGES:-10}"
max_requests="${UPLOAD_E2E_MAX_REQUESTS:-500}"
timeout_s="${UPLOAD_E2E_TIMEOUT_S:-900}"

log() { echo "upload_e2e: $*" >&2; }
summary() {
  echo "upload_e2e bytes=${size:-0} chunks=${sent:-0} resumed_at=${resumed_at:--1}" \
       "complete_to_eligible_ms=${eligible_ms:--1} complete_to_feed_ms=${feed_ms:--1}" \
       "feed_requests=${requests:-0} $1"
}
die() { log "error: $*"; keep=1; summary FAIL; exit 1; }
for tool in curl jq ffmpeg; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
now_ms() { date +%s%3N; }

work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_upload_e2e.XXXXXX")"
server_pid=""
stop_server() {
  [ -n "$server_pid" ] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  stop_server
  if [ "${keep:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server DIR OUT TIMEOUT_S: serve DIR on a free port; sets server_pid and base.
start_server() {
  local dir="$1" out="$2" limit="$3" port="" i
  "$bin" serve --data-dir "$dir" --import "$demo" --seed-log "$seed_log" --port 0 --threads 8 \
    --max-body "$max_body" $extra_args >"$out.stdout" 2>"$out.stderr" &
  server_pid=$!
  for ((i = 0; i < limit * 5; i++)); do
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$out.stderr" >&2; die "the server exited"; }
    [ -z "$port" ] && port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$out.stdout" | sed 's/.*://')" || true
    if [ -n "$port" ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      base="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.2
  done
  die "the server was not healthy after $limit s"
}

# The seeded demo (catalog imported, model trained from the week's log) is made once and copied.
extra_args=""
mkdir -p "$cache"
if [ "${UPLOAD_E2E_FRESH:-0}" = 1 ] || [ ! -f "$cache/seed/.upload_e2e_complete" ]; then
  rm -rf "$cache/seed"; mkdir -p "$cache/seed"
  log "seeding $cache/seed from $demo (once)..."
  t0=$SECONDS
  start_server "$cache/seed" "$cache/seed" 1800
  stop_server
  touch "$cache/seed/.upload_e2e_complete"
  log "seeded in $((SECONDS - t0)) s"
fi
mkdir -p "$work/data"
cp -a "$cache/seed/." "$work/data/"
extra_args="${UPLOAD_E2E_SERVE_ARGS:-}"
start_server "$work/data" "$work/server" 600
log "server $bin (pid $server_pid) at $base, --max-body $max_body, data $work/data"

# The clip: testsrc2 at 1080p30 with a 440 Hz tone, as bench/transcode.sh makes it.
ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$seconds" \
  -f lavfi -i "sine=frequency=440:duration=$seconds" -c:v libx264 -preset ultrafast -crf 28 \
  -pix_fmt yuv420p -c:a aac -b:a 128k -movflags +faststart "$work/clip.mp4"
size="$(stat -c %s "$work/clip.mp4")"

# api METHOD PATH TOKEN [curl args...]: the body on stdout; the HTTP code in $work/code.
api() {
  local method="$1" path="$2" token="$3"
  shift 3
  curl -s -o "$work/body" -w '%{http_code}' --max-time 30 -X "$method" \
    -H "Authorization: Bearer $token" "$@" "$base$path" >"$work/code" || echo 000 >"$work/code"
  cat "$work/body"
}
code() { cat "$work/code"; }
signup() {  # signup HANDLE: the session token
  curl -s --max-time 30 -H 'Content-Type: application/json' \
    -d "{\"handle\":\"$1\",\"password\":\"upload-e2e-password\",\"language\":\"en\"}" \
    "$base/v1/auth/signup" | jq -er .token || die "sign-up of $1 failed"
}

creator="$(signup creator_e2e)"
up="$(api POST /v1/uploads "$creator" -H 'Content-Type: application/json' \
      -d "{\"size\":$size,\"type\":\"video/mp4\"}")"
[ "$(code)" = 201 ] || die "POST /v1/uploads: HTTP $(code) $up"
id="$(jq -r .id <<<"$up")"
chunk="$(jq -r .chunk_bytes <<<"$up")"
total_chunks=$(( (size + chunk - 1) / chunk ))
[ "$total_chunks" -ge 3 ] || die "only $total_chunks chunks of $chunk bytes: lower UPLOAD_E2E_MAX_BODY"
cut_chunk=$(( total_chunks / 2 ))
log "upload $id: $size bytes in $total_chunks chunks of $chunk; chunk $cut_chunk is cut part way"

# put_chunk OFFSET [curl args...]: PUT the bytes [OFFSET, min(OFFSET + chunk, size)).
put_chunk() {
  local offset="$1" len
  shift
  len=$(( size - offset < chunk ? size - offset : chunk ))
  tail -c +"$((offset + 1))" "$work/clip.mp4" | head -c "$len" >"$work/chunk"
  api PUT "/v1/uploads/$id" "$creator" -H "Content-Range: bytes $offset-$((offset + len - 1))/$size" \
    -H 'Content-Type: application/octet-stream' --data-binary @"$work/chunk" "$@"
}
offset=0 sent=0 resumed_at=-1
while [ "$offset" -lt "$size" ]; do
  if [ "$resumed_at" = -1 ] && [ "$offset" -ge $(( cut_chunk * chunk )) ]; then
    # A quarter of the chunk per second for one second: the connection closes mid-body.
    put_chunk "$offset" --limit-rate "$(( chunk / 4 ))" --max-time 1 >/dev/null || true
    sent=$((sent + 1))
    log "chunk at $offset cut after 1 s: HTTP $(code)"
    state="$(api GET "/v1/uploads/$id" "$creator")"
    [ "$(code)" = 200 ] || die "GET /v1/uploads/$id: HTTP $(code) $state"
    resumed_at="$(jq -r .received <<<"$state")"
    [ "$resumed_at" -le "$offset" ] || die "received $resumed_at is past the cut chunk's start $offset"
    log "GET /v1/uploads/$id: received $resumed_at; resuming there"
    offset="$resumed_at"
    continue
  fi
  out="$(put_chunk "$offset")"
  sent=$((sent + 1))
  [ "$(code)" = 200 ] || die "PUT at $offset: HTTP $(code) $out"
  offset="$(jq -r .received <<<"$out")"
done
done_state="$(api POST "/v1/uploads/$id/complete" "$creator" -H 'Content-Type: application/json' \
              -d '{"caption":"end to end #uploade2e","hashtags":["uploade2e"]}')"
[ "$(code)" = 202 ] || die "complete: HTTP $(code) $done_state"
t_complete="$(now_ms)"
video="$(jq -r .video <<<"$done_state")"
log "completed: video $video, job $(jq -r .job <<<"$done_state")"

# 1. Processing and moderation: the video's state in the creator's list.
eligible_ms=-1 state=""
while [ $(( $(now_ms) - t_complete )) -lt $((timeout_s * 1000)) ]; do
  mine="$(api GET "/v1/me/videos?limit=5" "$creator")"
  state="$(jq -r --arg v "$video" '.videos[] | select(.id == $v) | .state' <<<"$mine" 2>/dev/null || true)"
  case "$state" in
    limited | approved) eligible_ms=$(( $(now_ms) - t_complete )); break ;;
    failed | rejected | removed)
      die "the video ended $state: $(jq -c --arg v "$video" '.videos[] | select(.id == $v)' <<<"$mine")" ;;
  esac
  sleep 0.1
done
[ "$eligible_ms" -ge 0 ] || die "the video is still '$state' after $timeout_s s"
log "$video is $state after $eligible_ms ms"

# 2. New users' feeds until one page carries the video.
feed_ms=-1 requests=0 users=0 first_page=""
while [ "$feed_ms" -lt 0 ] && [ "$requests" -lt "$max_requests" ]; do
  users=$((users + 1))
  token="$(signup "viewer_e2e_$users")"
  for ((p = 0; p < pages && requests < max_requests; p++)); do
    page="$(api GET "/v1/feed?user=viewer_e2e_$users&count=10" "$token")"
    requests=$((requests + 1))
    [ "$(code)" = 200 ] || die "GET /v1/feed: HTTP $(code) $page"
    [ -n "$first_page" ] || first_page="$page"
    if jq -e --arg v "$video" 'any(.items[]; .video == $v)' <<<"$page" >/dev/null; then
      feed_ms=$(( $(now_ms) - t_complete ))
      log "in viewer_e2e_$users's page $((p + 1)) (user $users, request $requests):" \
          "$(jq -c --arg v "$video" '.items[] | select(.video == $v) | {position, sources, reason}' <<<"$page");" \
          "items from the fresh source on that page: $(jq '[.items[] | select(.sources | index("fresh"))] | length' <<<"$page")"
      break
    fi
    [ "$(jq '.items | length' <<<"$page")" -gt 0 ] || break
  done
done
if [ "$feed_ms" -lt 0 ]; then
  log "not in $requests feed pages of $users new users; a first page:" \
      "$(jq -c '{candidates, eligible, items: [.items[] | {video, sources}]}' <<<"$first_page")"
  explain="$(api GET "/v1/feed/explain?user=viewer_e2e_explain&video=$video" \
             "$(signup viewer_e2e_explain)")" || true
  log "explain for a new user: $(jq -c '{can_serve, cannot_serve_reason, sources}' <<<"$explain" 2>/dev/null || echo "$explain")"
fi

verdict=PASS
[ "$feed_ms" -ge 0 ] && [ "$resumed_at" -ge 0 ] || { verdict=FAIL; keep=1; }
summary "$verdict"
[ "$verdict" = PASS ]
