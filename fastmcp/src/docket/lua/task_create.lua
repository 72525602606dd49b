local rec, index, expiring = KEYS[1], KEYS[2], KEYS[3]
local id, created, ttl, keep = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', rec, ttl)
redis.call('ZADD', index, created, id)
redis.call('ZREMRANGEBYSCORE', index, '-inf', created - keep)
redis.call('PEXPIRE', index, keep)
-- The same ids by expiry, so counting the live ones is two commands (`task_count.lua`).
redis.call('ZADD', expiring, created + tonumber(ttl), id)
redis.call('ZREMRANGEBYSCORE', expiring, '-inf', created)
redis.call('PEXPIRE', expiring, keep)
return 1
