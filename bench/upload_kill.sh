#!/usr/bin/env bash
# The upload kill test: a creator posts UPLOAD_KILL_UPLOADS short clips (3 s, 854x480) in chunks to
# a real `foryou serve` running the real media worker, while the server is killed with SIGKILL
# UPLOAD_KILL_ROUNDS times (each once a worker runs, after a random 0..UPLOAD_KILL_JITTER_MS)
# and restarted on the same data directory. In odd rounds the worker transcoding at that moment
# is killed first (its job then fails with the signal, or runs again when the server died before
# it saw that); in even rounds it is left alone and must die with the server (the supervisor's
# parent-death signal), freeing the port for the restart. The uploader resumes every interrupted request: a chunk from the `received`
# that GET /v1/uploads/ID reports, a complete by asking again. Before each kill the script also
# posts an upload of its own and sends the first two chunks of another, which it finishes after
# the restart; it fails when no kill found a worker running. It
# checks as it goes, and at the end, that:
#   * no acknowledged chunk is lost: a `received` the server reports (GET, or a 409) is never
#     below the highest one it acknowledged for that upload, and the script's own upload resumes
#     exactly at its acknowledged offset;
#   * every acknowledged post (a 202 to complete, or an upload found `submitted` after a cut
#     complete) ends, within UPLOAD_KILL_DEADLINE_S of the last restart, as a processed video
#     (any state but `processing` and `failed`, with its duration) or as a failed one whose
#     reason is a worker death (the kills): no job stays queued or running, and no input is
#     refused (its bytes arrived whole);
#   * every submitted upload has exactly one video in GET /v1/me/videos, and no other video is
#     there (no post made twice);
#   * no worker outlives its server (even rounds).
# The worker is found through /proc (`media-worker --job <data dir>/work/...`) and killed with
# its process group (the supervisor puts each worker in its own). The in-process variant of the
# event side is bench/http_kill.sh; docs/design/uploads.md has the results.
#
# Usage: bench/upload_kill.sh    Environment: FORYOU_BIN (default build/release/foryou),
#   UPLOAD_KILL_ROUNDS (2), UPLOAD_KILL_UPLOADS (2), UPLOAD_KILL_JITTER_MS (300),
#   UPLOAD_KILL_DEADLINE_S (120), UPLOAD_KILL_SEED (the kill moments).
# Prints progress on stderr and, last on stdout:
#   upload_kill rounds=.. workers_at_kill=.. worker_kills=.. uploads=.. posted=.. processed=.. failed=..
#   stuck=.. lost_chunks=.. duplicates=.. PASS|FAIL
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${FORYOU_BIN:-build/release/foryou}"
rounds="${UPLOAD_KILL_ROUNDS:-2}"
uploads="${UPLOAD_KILL_UPLOADS:-2}"
jitter_ms="${UPLOAD_KILL_JITTER_MS:-300}"
deadline_s="${UPLOAD_KILL_DEADLINE_S:-120}"
RANDOM="${UPLOAD_KILL_SEED:-$$}"

log() { echo "upload_kill: $*" >&2; }
summary() {
  echo "upload_kill rounds=$rounds workers_at_kill=${workers_at_kill:-0} worker_kills=${worker_kills:-0}" \
       "uploads=$((uploads + 2 * rounds)) posted=${#posted[@]} processed=${processed:-0} failed=${failed:-0}" \
       "stuck=${stuck:-0} lost_chunks=${lost:-0} duplicates=${duplicates:-0} $1"
}
posted=()
die() { log "error: $*"; keep=1; summary FAIL; exit 1; }
for tool in curl jq ffmpeg; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[ -x "$bin" ] || die "no server binary at $bin (build it, or set FORYOU_BIN)"
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d "${TMPDIR:-/tmp}/foryou_upload_kill.XXXXXX")"
data="$work/data"
server_pid="" uploader_pid=""
# worker_groups: the process groups of this data directory's media workers (see above).
worker_groups() {
  local f pid
  for f in $(grep -las -- "$data/work/" /proc/[0-9]*/cmdline 2>/dev/null); do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    grep -qas -- media-worker "$f" || continue
    awk '{ print $5 }' "/proc/$pid/stat" 2>/dev/null || true
  done | sort -u
}
kill_workers() {
  local g n=0
  for g in $(worker_groups); do
    [ -n "$g" ] && [ "$g" -gt 1 ] && kill -KILL -- "-$g" 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}
cleanup() {
  [ -n "$uploader_pid" ] && kill "$uploader_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
  kill_workers >/dev/null || true
  wait 2>/dev/null
  if [ "${keep:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server: serve $data at $port (0 the first time: any free port, kept for the restarts).
# The body limit (16 KB) makes each clip (~90 KB) several chunks.
port=0
source bench/kill_lib.sh
start_server() { serve_and_wait --threads 4 --max-body 16384 --media-worker "$bin"; }

ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=854x480:rate=15:duration=3 \
  -f lavfi -i sine=frequency=440:duration=3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
  -c:a aac -b:a 32k -movflags +faststart "$work/clip.mp4"
size="$(stat -c %s "$work/clip.mp4")"
mkdir -p "$data"
start_server
curl -sf --max-time 10 -H 'Content-Type: application/json' \
  -d '{"handle":"creator","password":"upload-kill-password"}' "$base/v1/auth/signup" \
  | jq -er .token >"$work/token" || die "sign-up failed"

# ---- Uploading ----
# The uploader (a background process, tag u) and the script itself (tag m) post through these;
# every acknowledgement goes to acks.txt (open ID | chunk ID RECEIVED | post ID VIDEO), every
# lost chunk or unexpected answer to errors.txt.
tag=m
# call METHOD PATH [curl args...]: the body in $work/$tag.body, the HTTP code on stdout (curl's 000 when
# the server is not there). Retries nothing.
call() {
  local method="$1" path="$2"
  shift 2
  curl -s -o "$work/$tag.body" -w '%{http_code}' --max-time 10 -X "$method" \
    -H "Authorization: Bearer $(cat "$work/token")" "$@" "$base$path" 2>/dev/null || true
}
body() { cat "$work/$tag.body"; }
final() { [[ "$1" != 000 && "$1" != 5* && "$1" != 429 ]]; }  # an answer not worth retrying
# open_upload: sets id and chunk.
open_upload() {
  local code
  while :; do  # an open cut by a kill leaves an unused upload: harmless
    code="$(call POST /v1/uploads -H 'Content-Type: application/json' \
            -d "{\"size\":$size,\"type\":\"video/mp4\"}")"
    [ "$code" = 201 ] && break
    final "$code" && { echo "POST /v1/uploads: HTTP $code $(body)" >>"$work/errors.txt"; return 1; }
    sleep 0.05
  done
  id="$(jq -r .id <<<"$(body)")"
  chunk="$(jq -r .chunk_bytes <<<"$(body)")"
  echo "open $id" >>"$work/acks.txt"
}
# resume_point: the upload's `received` once the server answers; a lost chunk if below acked.
resume_point() {
  local code received
  while :; do
    code="$(call GET "/v1/uploads/$id")"
    [ "$code" = 200 ] && break
    final "$code" && { echo "GET $id: HTTP $code $(body)" >>"$work/errors.txt"; return 1; }
    sleep 0.05
  done
  received="$(jq -r .received <<<"$(body)")"
  if [ "$received" -lt "$acked" ]; then
    echo "lost chunk: $id reports received $received after $acked was acknowledged" >>"$work/errors.txt"
  fi
  echo "resume $id $received" >>"$work/acks.txt"
  offset="$received"
}
# send_chunks [MAX]: from offset, up to MAX chunks (all by default); sets offset and acked.
send_chunks() {
  local max="${1:-1000000}" sent=0 code len
  while [ "$offset" -lt "$size" ] && [ "$sent" -lt "$max" ]; do
    len=$(( size - offset < chunk ? size - offset : chunk ))
    tail -c +"$((offset + 1))" "$work/clip.mp4" | head -c "$len" >"$work/$tag.chunk"
    code="$(call PUT "/v1/uploads/$id" -H "Content-Range: bytes $offset-$((offset + len - 1))/$size" \
            --data-binary @"$work/$tag.chunk")"
    if [ "$code" = 200 ]; then
      offset="$(jq -r .received <<<"$(body)")"
      acked="$offset"
      sent=$((sent + 1))
      echo "chunk $id $offset" >>"$work/acks.txt"
      continue
    fi
    if [ "$code" != 409 ] && final "$code"; then
      echo "PUT $id at $offset: HTTP $code $(body)" >>"$work/errors.txt"; return 1
    fi
    resume_point || return 1  # cut, or a 409: continue where the server is
  done
}
# complete_upload CAPTION: posts the upload; a cut complete that did finish is found submitted.
complete_upload() {
  local code video
  while :; do
    code="$(call POST "/v1/uploads/$id/complete" -H 'Content-Type: application/json' \
            -d "{\"caption\":\"$1\"}")"
    if [ "$code" = 202 ]; then video="$(jq -r .video <<<"$(body)")"; break; fi
    if [ "$code" = 409 ]; then
      code="$(call GET "/v1/uploads/$id")"
      if [ "$code" = 200 ] && [ "$(jq -r .state <<<"$(body)")" = submitted ]; then
        video="$(jq -r .video <<<"$(body)")"; break
      fi
      echo "complete $id: 409 and the upload is $(body)" >>"$work/errors.txt"; return 1
    fi
    final "$code" && { echo "complete $id: HTTP $code $(body)" >>"$work/errors.txt"; return 1; }
    sleep 0.05
  done
  echo "post $id $video" >>"$work/acks.txt"
}
uploader() {
  tag=u
  for ((n = 0; n < uploads; n++)); do
    open_upload || return
    offset=0 acked=0
    send_chunks || return
    complete_upload "kill test $n" || return
  done
}
: >"$work/acks.txt"; : >"$work/errors.txt"
uploader &
uploader_pid=$!

# ---- The kills ----
# Each round the script also posts an upload of its own (a transcode to kill), then opens another
# and sends two chunks before the kill: after the restart it must resume exactly at the
# acknowledged offset.
workers_at_kill=0 worker_kills=0
for ((r = 1; r <= rounds; r++)); do
  # A post of its own first, so a transcode is queued whatever the uploader has done.
  open_upload || die "$(cat "$work/errors.txt")"
  offset=0 acked=0
  send_chunks && complete_upload "kill test round $r" || die "$(cat "$work/errors.txt")"
  open_upload || die "$(cat "$work/errors.txt")"
  offset=0 acked=0
  send_chunks 2 || die "$(cat "$work/errors.txt")"
  partial_id="$id" partial_acked="$acked"
  # Once a worker runs, a random moment later (even rounds: at once, the worker has most of its
  # work left), if it still runs then (else wait for the next one; up to 5 tries, 20 s each):
  # the server, then (odd rounds) its workers.
  for ((try = 0; try < 5; try++)); do
    for ((i = 0; i < 400; i++)); do
      [ -n "$(worker_groups)" ] && break
      kill -0 "$uploader_pid" 2>/dev/null || break
      sleep 0.05
    done
    [ $((r % 2)) = 1 ] && sleep "$(awk -v ms=$((RANDOM % (jitter_ms + 1))) 'BEGIN { printf "%.3f", ms / 1000 }')"
    [ -n "$(worker_groups)" ] && break
    kill -0 "$uploader_pid" 2>/dev/null || break
  done
  running="$(worker_groups | grep -c . || true)"
  if [ $((r % 2)) = 1 ]; then  # the worker, then the server at once (before it sees the death)
    n="$(kill_workers)"
    kill -KILL "$server_pid"
  else  # the server only: its workers must die with it
    kill -KILL "$server_pid"
    n=0
    wait "$server_pid" 2>/dev/null || true
    t_dead="$(date +%s%3N)"
    while [ -n "$(worker_groups)" ] && [ $(( $(date +%s%3N) - t_dead )) -lt 1000 ]; do sleep 0.02; done
    if [ -n "$(worker_groups)" ]; then
      echo "round $r: a worker outlived the server" >>"$work/errors.txt"
      kill_workers >/dev/null
    fi
  fi
  workers_at_kill=$((workers_at_kill + running))
  log "round $r: $running worker(s) ran when the server was killed"
  wait "$server_pid" 2>/dev/null || true
  worker_kills=$((worker_kills + n))
  log "round $r: killed the server and $n worker(s); $(grep -c '^post ' "$work/acks.txt" || true) posts," \
      "$(grep -c '^chunk ' "$work/acks.txt" || true) chunks acknowledged so far"
  start_server
  log "round $r: restarted (pid $server_pid)"
  id="$partial_id" acked="$partial_acked"
  if resume_point; then  # else errors.txt says why
    [ "$offset" = "$partial_acked" ] ||
      echo "the partial upload $id resumes at $offset, not at its acknowledged $partial_acked" >>"$work/errors.txt"
    send_chunks && complete_upload "kill test partial $r" || true
  fi
done
for ((i = 0; i < deadline_s * 20; i++)); do
  kill -0 "$uploader_pid" 2>/dev/null || break
  sleep 0.05
done
kill "$uploader_pid" 2>/dev/null && log "the uploader did not finish in $deadline_s s"
wait "$uploader_pid" 2>/dev/null || true
uploader_pid=""

# ---- The checks ----
mapfile -t posted < <(awk '$1 == "post" { print $3 }' "$work/acks.txt" | sort)
token="$(cat "$work/token")"
me() { curl -s --max-time 10 -H "Authorization: Bearer $token" "$base/v1/me/videos?limit=100"; }
t0=$SECONDS
while :; do
  mine="$(me)"
  open_jobs="$(jq '[.videos[] | select(.state == "processing")] | length' <<<"$mine" 2>/dev/null || echo -1)"
  [ "$open_jobs" = 0 ] && break
  [ $((SECONDS - t0)) -ge "$deadline_s" ] && break
  sleep 0.1
done
jq -c '.videos[] | {id, state, reason, duration_ms}' <<<"$mine" >"$work/videos.jsonl"
processed=0 failed=0 stuck=0 missing=0
for v in "${posted[@]}"; do
  row="$(jq -c --arg v "$v" 'select(.id == $v)' "$work/videos.jsonl")"
  state="$(jq -r .state <<<"$row" 2>/dev/null || true)"
  case "$state" in
    "") missing=$((missing + 1)); log "posted $v is not in /v1/me/videos" ;;
    processing) stuck=$((stuck + 1)); log "posted $v is still processing after $deadline_s s" ;;
    failed)
      failed=$((failed + 1))
      if ! grep -Eq 'worker died|killed by signal' <<<"$(jq -r .reason <<<"$row")"; then
        echo "posted $v failed: $row" >>"$work/errors.txt"
      fi ;;
    *)
      processed=$((processed + 1))
      [ "$(jq -r .duration_ms <<<"$row")" -gt 2500 ] || echo "processed $v without its duration: $row" >>"$work/errors.txt" ;;
  esac
done
duplicates="$(jq -r .id "$work/videos.jsonl" | sort | uniq -d | wc -l)"
extra="$(comm -13 <(printf '%s\n' "${posted[@]}") <(jq -r .id "$work/videos.jsonl" | sort) | grep -c . || true)"
lost="$(grep -c '^lost chunk' "$work/errors.txt" || true)"
log "posts acknowledged ${#posted[@]} of $((uploads + 2 * rounds)); videos listed $(wc -l <"$work/videos.jsonl")," \
    "not posted $extra; resumes $(grep -c '^resume ' "$work/acks.txt" || true)"
[ -s "$work/errors.txt" ] && log "$(head -5 "$work/errors.txt")"
verdict=PASS
if [ "${#posted[@]}" != $((uploads + 2 * rounds)) ] || [ "$workers_at_kill" = 0 ] || [ "$stuck" != 0 ] || [ "$missing" != 0 ] ||
   [ "$duplicates" != 0 ] || [ "$extra" != 0 ] || [ -s "$work/errors.txt" ]; then
  verdict=FAIL
  keep=1
fi
summary "$verdict"
[ "$verdict" = PASS ]
