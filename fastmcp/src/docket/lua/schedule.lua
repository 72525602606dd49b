local run, stream, queue, events, result, progress = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local key, fn, args, policy = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local when, now, replace = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local state = redis.call('HGET', run, 'state')
if state == 'scheduled' or state == 'queued' or state == 'running' then
  if not replace then return {'EXISTS', 0} end
  local sid = redis.call('HGET', run, 'stream_id')
  if sid then redis.call('XDEL', stream, sid) end
  redis.call('ZREM', queue, key)
end
local gen = redis.call('HINCRBY', run, 'generation', 1)
redis.call('HDEL', run, 'worker', 'started', 'completed', 'error', 'stream_id')
redis.call('PERSIST', run)
redis.call('DEL', result, progress)
local st = 'scheduled'
if when <= now then
  st = 'queued'
  local sid = redis.call('XADD', stream, '*', 'key', key, 'gen', gen)
  redis.call('HSET', run, 'stream_id', sid)
else
  redis.call('ZADD', queue, when, key)
end
redis.call('HSET', run, 'state', st, 'function', fn, 'args', args, 'policy', policy, 'attempt', 1, 'created', now, 'when', when)
redis.call('PUBLISH', events, cjson.encode({key = key, state = st, generation = gen}))
return {'OK', gen}
