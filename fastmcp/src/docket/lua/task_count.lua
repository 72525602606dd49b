-- An owner's live task records, from its expiry index (the expired entries removed on the
-- way): their number when ARGV[2] is "count", else their ids (soonest to expire first).
local expiring, now, what = KEYS[1], ARGV[1], ARGV[2]
redis.call('ZREMRANGEBYSCORE', expiring, '-inf', now)
if what == 'count' then return redis.call('ZCARD', expiring) end
return redis.call('ZRANGE', expiring, 0, -1)
