local run, stream, queue, events, cancel = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key, now, ttl = ARGV[1], ARGV[2], ARGV[3]
local st = redis.call('HGET', run, 'state')
if not (st == 'scheduled' or st == 'queued' or st == 'running') then return 0 end
local sid = redis.call('HGET', run, 'stream_id')
if sid then redis.call('XDEL', stream, sid) end
redis.call('ZREM', queue, key)
redis.call('HSET', run, 'state', 'cancelled', 'completed', now)
redis.call('HDEL', run, 'stream_id')
redis.call('PEXPIRE', run, ttl)
local gen = tonumber(redis.call('HGET', run, 'generation'))
redis.call('PUBLISH', events, cjson.encode({key = key, state = 'cancelled', generation = gen}))
if st == 'running' then redis.call('PUBLISH', cancel, key) end
return 1
