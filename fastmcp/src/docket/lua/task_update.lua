local rec, events = KEYS[1], KEYS[2]
if redis.call('EXISTS', rec) == 0 then return 0 end
local n = tonumber(ARGV[2])
for i = 3, 2 + 2 * n, 2 do redis.call('HSET', rec, ARGV[i], ARGV[i + 1]) end
for i = 3 + 2 * n, #ARGV do redis.call('HDEL', rec, ARGV[i]) end
redis.call('PUBLISH', events, cjson.encode({key = ARGV[1], task = true}))
return 1
