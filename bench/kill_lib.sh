# Shared by the kill benches (http_kill.sh, kafka_kill.sh, upload_kill.sh), sourced after the
# caller has set: bin (the foryou binary), work (the run's temporary directory),
# data (the server's data directory), port (0 the first time), batch, users, videos, and defined
# log and die.

# serve_and_wait ARGS...: `foryou serve` on $data at $port with ARGS, in the background
# (server_pid), until /healthz answers (base). Port 0 picks a free port, then kept for restarts.
serve_and_wait() {
  local i
  "$bin" serve --data-dir "$data" --port "$port" "$@" >>"$work/server.stdout" \
    2>>"$work/server.stderr" &
  server_pid=$!
  for ((i = 0; i < 600; i++)); do
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$work/server.stderr" >&2; die "the server exited"; }
    if [ "$port" = 0 ]; then
      port="$(grep -om1 'serving at http://[0-9.]*:[0-9]*' "$work/server.stdout" | sed 's/.*://' || true)"
      [ -n "$port" ] || port=0
    fi
    if [ "$port" != 0 ] && curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
      base="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.05
  done
  die "the server was not healthy after 30 s"
}

# make_catalog: reads the app and admin keys (app_key, admin_key) and creates $users users and
# $videos approved videos through the API.
make_catalog() {
  local u v code
  app_key="$(jq -r '[.keys[] | select(.role == "app")][0].key' "$data/keys.json")"
  admin_key="$(jq -r '[.keys[] | select(.role == "admin")][0].key' "$data/keys.json")"
  for ((u = 0; u < users; u++)); do
    code="$(post_code "$app_key" /v1/users "{\"id\":\"u$u\"}")"
    [[ "$code" == 2* ]] || die "POST /v1/users u$u: HTTP $code"
  done
  for ((v = 0; v < videos; v++)); do
    code="$(post_code "$admin_key" /v1/videos \
      "{\"id\":\"v$v\",\"creator\":\"c$((v % 5))\",\"duration_ms\":15000,\"moderation\":\"approved\"}")"
    [[ "$code" == 2* ]] || die "POST /v1/videos v$v: HTTP $code"
  done
}

post_code() {  # post_code KEY PATH BODY: the HTTP code
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "X-Api-Key: $1" \
    -H 'Content-Type: application/json' -d "$3" "$base$2"
}

# poster P: POSTs batches of $batch plays with request ids k<P>-<n> for ever, one request at a
# time; a 2xx answer with no rejected event appends "<P> <first n of the batch>" to
# $work/acked.txt. A request cut by a kill is never retried: its events may be stored (at most
# once) or not.
poster() {
  local p=$1 n=0 i body t code out
  while true; do
    t="$(date +%s%3N)"
    body='{"events":['
    for ((i = 0; i < batch; i++)); do
      [ "$i" -gt 0 ] && body+=','
      body+="{\"type\":\"play\",\"user\":\"u$(( (n + i) % users ))\",\"video\":\"v$(( (n + i) % videos ))\""
      body+=",\"request_id\":\"k$p-$((n + i))\",\"time_ms\":$t,\"watch_ms\":$(( 1000 + (n + i) % 9000 ))}"
    done
    body+=']}'
    out="$(curl -s -w '\n%{http_code}' --max-time 5 -H "X-Api-Key: $app_key" \
           -H 'Content-Type: application/json' -d "$body" "$base/v1/events" 2>/dev/null || true)"
    code="$(tail -1 <<<"$out")"
    if [[ "$code" == 2* ]]; then
      if [ "$(sed '$d' <<<"$out" | jq '.rejected | length')" != 0 ]; then
        echo "rejected events in an acknowledged batch: $out" >>"$work/poster.errors"
      fi
      echo "$p $n" >>"$work/acked.txt"
    fi
    n=$((n + batch))
  done
}

# acked_ids FILE: every acknowledged request id, sorted, into FILE.
acked_ids() {
  awk -v b="$batch" '{ for (i = 0; i < b; i++) print "k" $1 "-" ($2 + i) }' "$work/acked.txt" |
    sort >"$1"
}
