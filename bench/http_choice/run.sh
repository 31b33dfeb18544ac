#!/usr/bin/env bash
# Measures the candidate HTTP libraries for the feed server (docs/design/server.md, "Choosing the
# HTTP library"): cpp-httplib, libevent evhttp, Boost.Beast answer GET /x with a ~1 KB JSON body
# after WORK_US of CPU (0 and 1000 = simulated feed scoring); wrk drives them on loopback.
# Prints one line per (server config, work, load).
# Usage: bench/http_choice/run.sh [SECONDS]   (needs wrk, g++, libcpp-httplib-dev, libevent-dev,
#                                              libboost-dev)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-5}"
out="${BUILD_DIR:-/tmp/foryou_http_choice}"
port="${PORT:-18090}"  # incremented per server start: TIME-WAIT sockets can block a rebind
mkdir -p "$out"

echo "# building in $out" >&2
g++ -O2 -std=c++20 $(pkg-config --cflags cpp-httplib) "$here/httplib_server.cc" \
  -o "$out/httplib_server" $(pkg-config --libs cpp-httplib) -pthread &
g++ -O2 -std=c++20 "$here/evhttp_server.cc" -o "$out/evhttp_server" -levent -pthread &
g++ -O2 -std=c++20 "$here/beast_server.cc" -o "$out/beast_server" -pthread
wait

# wrk latency like "812.00us", "1.23ms", "2.01s" -> milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1;
                         else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# Connections the kernel dropped because a listen queue was full (all sockets on the host).
listen_overflows() {
  awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v);
       for (i in k) if (k[i] == "ListenOverflows") print v[i] } }' /proc/net/netstat
}

# run NAME BINARY_ARGS... : starts the server, runs every load, prints lines, stops it.
run() {
  local name="$1"; shift
  local binary="$1"; shift
  for work in 0 1000; do
    port=$((port + 1))
    "$out/$binary" "$port" "$work" "$@" 2>/dev/null &
    local pid=$!
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/x" && break; sleep 0.1; done
    wrk -t1 -c4 -d1s "http://127.0.0.1:$port/x" >/dev/null  # warm-up
    for load in max:4 max:16 max:64 paced:64; do
      local mode="${load%%:*}" conns="${load##*:}" script=()
      [[ "$mode" == paced ]] && script=(-s "$here/paced.lua")
      local txt o0
      o0="$(listen_overflows)"
      txt="$(DELAY_MS=100 wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s --latency "${script[@]}" \
             "http://127.0.0.1:$port/x")"
      local rps p50 p90 p99 max errs non2xx served="-"
      rps="$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$txt")"
      p50="$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$txt")")"
      p90="$(to_ms "$(awk '$1 == "90%" { print $2 }' <<<"$txt")")"
      p99="$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$txt")")"
      max="$(to_ms "$(awk '$1 == "Latency" && NF >= 4 { print $4; exit }' <<<"$txt")")"
      # Paced: the share of the offered rate (conns x 1000 / (100 ms + p50)) actually served. Far
      # below 100% means some connections got no responses at all; wrk's percentiles only count
      # completed requests, so they cannot show those waits.
      [[ "$mode" == paced ]] && served="$(awk -v r="$rps" -v c="$conns" -v l="$p50" \
        'BEGIN { printf "%.0f%%", 100 * r / (c * 1000 / (100 + l)) }')"
      errs="$(awk -F'[ ,]+' '/Socket errors/ { print $4 + $6 + $8 + $10 }' <<<"$txt")"
      non2xx="$(awk '/Non-2xx/ { print $NF }' <<<"$txt")"
      printf '%-29s work_us=%-4s %-6s conns=%-2s served=%-4s rps=%-6s p50_ms=%-6s p90_ms=%-6s p99_ms=%-7s max_ms=%-7s errors=%s listen_drops=%s\n' \
        "$name" "$work" "$mode" "$conns" "$served" "$rps" "$p50" "$p90" "$p99" "$max" "$(( ${errs:-0} + ${non2xx:-0} ))" "$(( $(listen_overflows) - o0 ))"
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
}

echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t1 --timeout 10s -d${secs}s; paced = 100 ms think time per connection" >&2
run "httplib t=8 ka=5 bl=5"        httplib_server 8 5 5        # the library's defaults here
run "httplib t=8 ka=100 bl=1024"    httplib_server 8 100 1024
run "httplib t=128 ka=100 bl=5"     httplib_server 128 100 5
run "httplib t=128 ka=100 bl=1024"  httplib_server 128 100 1024  # chosen (server.md)
run "evhttp loops=2"                evhttp_server 2
run "beast threads=2"               beast_server 2
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
