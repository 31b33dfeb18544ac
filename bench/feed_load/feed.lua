-- wrk script: GET /v1/feed?user=<random KuaiRand user>&count=N at a fixed rate (see pace.lua).
-- Environment: FEED_LOAD_LUA_DIR (this directory), FEED_LOAD_KEY (app API key), FEED_LOAD_RATE
-- (requests/s over all threads), FEED_LOAD_THREADS and FEED_LOAD_CONNS (wrk's -t and -c),
-- FEED_LOAD_USERS (user ids are "0".."USERS-1"), FEED_LOAD_COUNT (items per feed, 10);
-- FEED_LOAD_PATH: request this path instead (a /healthz probe at the same pacing).
--
-- The first request of each connection is GET /healthz: wrk sends all of them at once at connect
-- time, and a burst of 16 concurrent feed requests would put its own queueing into the p99 of a
-- 10 s run. /healthz is cheap, and it is only `connections` requests out of thousands.
local pace = dofile(os.getenv("FEED_LOAD_LUA_DIR") .. "/pace.lua")
local threads = pace.env_number("FEED_LOAD_THREADS", 1)
local conns = math.ceil(pace.env_number("FEED_LOAD_CONNS", 16) / threads)
local rate = pace.env_number("FEED_LOAD_RATE", 200) / threads
local users = pace.env_number("FEED_LOAD_USERS", 27285)
local count = pace.env_number("FEED_LOAD_COUNT", 10)
local fixed_path = os.getenv("FEED_LOAD_PATH")
if fixed_path == "" then fixed_path = nil end
wrk.headers["X-Api-Key"] = os.getenv("FEED_LOAD_KEY") or ""

local warm = conns
local delay_fn

function init(args)
  math.randomseed(math.floor(pace.now() * 1e6) % 2147483647)
  delay_fn = pace.pacer(rate, conns)
end

function request()
  if warm > 0 then
    warm = warm - 1
    return wrk.format("GET", "/healthz")
  end
  if fixed_path then return wrk.format("GET", fixed_path) end
  return wrk.format("GET", "/v1/feed?user=" .. math.random(0, users - 1) .. "&count=" .. count)
end

function delay()
  return delay_fn()
end
