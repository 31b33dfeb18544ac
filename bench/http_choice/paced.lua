-- wrk script: each connection waits DELAY_MS after every response (think time), so the offered
-- rate is about connections * 1000 / (DELAY_MS + latency): a steady, below-capacity load with
-- many idle keep-alive connections, the way browsers hold them. Debian's wrk has no -R.
local d = tonumber(os.getenv("DELAY_MS") or "100")
function delay() return d end
