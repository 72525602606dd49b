local stream, events, queue = KEYS[1], KEYS[2], KEYS[3]
local p, now = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV, 10 do
  local key, gen, id, kind = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local st, result, err, delay, attempt = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], tonumber(ARGV[i + 7]), ARGV[i + 8]
  local ttl = ARGV[i + 9]
  local run = p .. ':run:' .. key
  redis.call('XACK', stream, 'workers', id)
  redis.call('XDEL', stream, id)
  local h = redis.call('HMGET', run, 'state', 'generation')
  if h[2] == gen and h[1] == 'running' then
    if result ~= '' then redis.call('SET', p .. ':result:' .. key, result, 'PX', ttl) end
    if err ~= '' then redis.call('HSET', run, 'error', err) else redis.call('HDEL', run, 'error') end
    if kind == 'done' then
      redis.call('HSET', run, 'state', st, 'completed', now)
      redis.call('PEXPIRE', run, ttl)
      redis.call('PEXPIRE', p .. ':progress:' .. key, ttl)
      redis.call('PUBLISH', events, cjson.encode({key = key, state = st, generation = tonumber(gen)}))
    else
      local g = gen
      if kind == 'again' then g = redis.call('HINCRBY', run, 'generation', 1) end
      redis.call('HDEL', run, 'worker', 'started')
      redis.call('HSET', run, 'attempt', attempt)
      local nst = 'queued'
      if kind == 'again' and delay > 0 then
        nst = 'scheduled'
        redis.call('ZADD', queue, now + delay, key)
      else
        local sid = redis.call('XADD', stream, '*', 'key', key, 'gen', g)
        redis.call('HSET', run, 'stream_id', sid)
      end
      redis.call('HSET', run, 'state', nst)
      redis.call('PUBLISH', events, cjson.encode({key = key, state = nst, generation = tonumber(g)}))
    end
  end
end
return 1
