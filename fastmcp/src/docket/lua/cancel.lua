local run, queue, events, cancel, progress = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key, now, ttl = ARGV[1], ARGV[2], ARGV[3]
local r = redis.call('GET', run)
local flag, st, gen = head(r)
if not active(st) then return 0 end
-- A queued delivery is dropped by its claim, which finds the run cancelled.
if st == 'scheduled' then redis.call('ZREM', queue, key) end
redis.call('SET', run, restate(r, 'cancelled', now), 'PX', ttl)
if flag == 'p' then redis.call('PEXPIRE', progress, ttl) end
redis.call('PUBLISH', events, cjson.encode({key = key, state = 'cancelled', generation = tonumber(gen)}))
if st == 'running' then redis.call('PUBLISH', cancel, key) end
return 1
