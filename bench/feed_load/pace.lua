-- Shared by the feed_load wrk scripts: a monotonic / wall clock through LuaJIT's FFI (wrk's Lua
-- has no sub-second clock) and a fixed-rate pacer for wrk's delay() hook.
--
-- Debian's wrk 4.1 has no -R (constant throughput) option. delay() runs after every response and
-- returns how long that connection waits before its next request. The pacer hands out request
-- slots spaced 1/rate apart to whichever connection asks next, so a thread's requests go out at
-- `rate` per second whatever the latency, as long as one of its connections is free when a slot
-- comes (connections >= rate x latency). A slot that no connection was free for is dropped, not
-- made up later (no catch-up bursts), so an overloaded server shows as an achieved rate below the
-- target. wrk measures each request's latency from its send, so the wait is not counted.
local ffi = require("ffi")
pcall(ffi.cdef, [[
typedef struct { long tv_sec; long tv_nsec; } feed_load_timespec;
int clock_gettime(int clk_id, feed_load_timespec *tp);
]])
local ts = ffi.new("feed_load_timespec")

local M = {}

-- Seconds on CLOCK_MONOTONIC.
function M.now()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

-- Milliseconds since the Unix epoch (CLOCK_REALTIME), for event time_ms.
function M.wall_ms()
  ffi.C.clock_gettime(0, ts)
  return tonumber(ts.tv_sec) * 1000 + math.floor(tonumber(ts.tv_nsec) / 1e6)
end

-- Returns a delay() function for `rate` requests/s on this thread. wrk sends the first request of
-- every connection at connect time, unpaced: `initial` of them (the thread's connections) take
-- the first slots.
function M.pacer(rate, initial)
  local interval = 1 / rate
  local next_t = M.now() + initial * interval
  return function()
    local now = M.now()
    local slot = next_t
    if slot < now then slot = now end
    next_t = slot + interval
    return math.floor((slot - now) * 1000 + 0.5)  -- wrk wants whole milliseconds
  end
end

-- The number in the environment variable `name`, or `default`.
function M.env_number(name, default)
  local v = tonumber(os.getenv(name) or "")
  if v == nil then return default end
  return v
end

return M
