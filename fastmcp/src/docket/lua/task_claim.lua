local rec, events = KEYS[1], KEYS[2]
if redis.call('EXISTS', rec) == 0 then return 0 end
if redis.call('HGET', rec, ARGV[2]) == ARGV[3] then return 0 end
redis.call('HSET', rec, ARGV[2], ARGV[3])
redis.call('PUBLISH', events, cjson.encode({key = ARGV[1], task = true}))
return 1
