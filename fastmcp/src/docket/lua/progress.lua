local run, progress, events = KEYS[1], KEYS[2], KEYS[3]
local flag, st, gen = head(redis.call('GETRANGE', run, 0, 63))
if gen ~= ARGV[1] or st ~= 'running' then return 0 end
redis.call('HSET', progress, 'current', ARGV[2], 'generation', ARGV[1])
if ARGV[3] ~= '' then redis.call('HSET', progress, 'total', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', progress, 'message', ARGV[4]) end
if flag ~= 'p' then redis.call('SETRANGE', run, 0, 'p') end
redis.call('PUBLISH', events, ARGV[5])
return 1
