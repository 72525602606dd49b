local rec, index = KEYS[1], KEYS[2]
local id, created, ttl, keep = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', rec, ttl)
redis.call('ZADD', index, created, id)
redis.call('ZREMRANGEBYSCORE', index, '-inf', created - keep)
redis.call('PEXPIRE', index, keep)
return 1
