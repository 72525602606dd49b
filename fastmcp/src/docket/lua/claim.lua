local stream, events = KEYS[1], KEYS[2]
local p, worker, now = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for i = 4, #ARGV, 3 do
  local key, gen, id = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local run = p .. ':run:' .. key
  local h = redis.call('HMGET', run, 'state', 'generation', 'function', 'args', 'policy', 'attempt')
  if h[2] ~= gen or not (h[1] == 'queued' or h[1] == 'running') then
    -- Replaced, cancelled, finished or expired: drop the delivery.
    redis.call('XACK', stream, 'workers', id)
    redis.call('XDEL', stream, id)
  else
    redis.call('HSET', run, 'state', 'running', 'worker', worker, 'started', now)
    redis.call('HDEL', run, 'stream_id')
    redis.call('PUBLISH', events, cjson.encode({key = key, state = 'running', generation = tonumber(gen), worker = worker}))
    out[#out + 1] = {key, gen, id, h[3], h[4], h[5] or '', h[6] or '1'}
  end
end
return out
