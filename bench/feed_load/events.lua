-- wrk script: POST /v1/events at a fixed rate (see pace.lua), FEED_LOAD_EVENT_BATCH events per
-- request (20), a mix of what the app sends while users scroll: each batch is a few short
-- sessions of random KuaiRand users; each shown video is an impression, then a play (60%,
-- watch 2-40 s, a third completed) or a skip (watch 0.3-3 s), and a like on 10% of the plays.
-- time_ms is the wall clock now. Environment: as feed.lua, with FEED_LOAD_EVENT_RATE (requests/s)
-- and FEED_LOAD_VIDEOS (video ids are "0".."VIDEOS-1").
local pace = dofile(os.getenv("FEED_LOAD_LUA_DIR") .. "/pace.lua")
local threads = pace.env_number("FEED_LOAD_THREADS", 1)
local conns = math.ceil(pace.env_number("FEED_LOAD_CONNS", 4) / threads)
local rate = pace.env_number("FEED_LOAD_EVENT_RATE", 100) / threads
local batch = pace.env_number("FEED_LOAD_EVENT_BATCH", 20)
local users = pace.env_number("FEED_LOAD_USERS", 27285)
local videos = pace.env_number("FEED_LOAD_VIDEOS", 7583)
wrk.headers["X-Api-Key"] = os.getenv("FEED_LOAD_KEY") or ""
wrk.headers["Content-Type"] = "application/json"

local warm = conns
local delay_fn
local tag = ""
local seq = 0

function init(args)
  local seed = math.floor(pace.now() * 1e6) % 2147483647
  math.randomseed(seed)
  tag = string.format("fl%x", seed)
  delay_fn = pace.pacer(rate, conns)
end

local function batch_json()
  local t = pace.wall_ms()
  local ev = {}
  while #ev < batch do
    local user = tostring(math.random(0, users - 1))
    seq = seq + 1
    local rid = tag .. "-" .. seq
    for pos = 0, math.random(2, 5) - 1 do
      if #ev >= batch then break end
      local video = tostring(math.random(0, videos - 1))
      local base = '"user":"' .. user .. '","video":"' .. video .. '","request_id":"' .. rid .. '"'
      ev[#ev + 1] = '{"type":"impression",' .. base .. ',"time_ms":' .. t ..
                    ',"position":' .. pos .. ',"surface":"foryou"}'
      if #ev >= batch then break end
      if math.random() < 0.6 then
        local watch = math.random(2000, 40000)
        ev[#ev + 1] = '{"type":"play",' .. base .. ',"time_ms":' .. t .. ',"watch_ms":' .. watch ..
                      ',"completed":' .. (math.random() < 0.33 and "true" or "false") .. '}'
        if #ev < batch and math.random() < 0.1 then
          ev[#ev + 1] = '{"type":"like",' .. base .. ',"time_ms":' .. t .. '}'
        end
      else
        ev[#ev + 1] = '{"type":"skip",' .. base .. ',"time_ms":' .. t ..
                      ',"watch_ms":' .. math.random(300, 3000) .. '}'
      end
    end
  end
  return '{"events":[' .. table.concat(ev, ",") .. ']}'
end

function request()
  if warm > 0 then
    warm = warm - 1
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("POST", "/v1/events", nil, batch_json())
end

function delay()
  return delay_fn()
end
