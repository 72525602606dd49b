local queue, stream, events = KEYS[1], KEYS[2], KEYS[3]
local now, limit, p = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local due = redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, limit)
for _, key in ipairs(due) do
  redis.call('ZREM', queue, key)
  local run = p .. ':run:' .. key
  if redis.call('HGET', run, 'state') == 'scheduled' then
    local gen = redis.call('HGET', run, 'generation')
    local sid = redis.call('XADD', stream, '*', 'key', key, 'gen', gen)
    redis.call('HSET', run, 'state', 'queued', 'stream_id', sid)
    redis.call('PUBLISH', events, cjson.encode({key = key, state = 'queued', generation = tonumber(gen)}))
  end
end
local nxt = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
return {#due, nxt[2] or ''}
