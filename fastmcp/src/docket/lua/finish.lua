-- Stores outcomes. Each comes with the record the worker built: the final one (kept `ttl`
-- ms), or the next generation's (run again: due now, or at `at`). One SET .. GET writes it;
-- an outcome for a run that changed meanwhile (cancelled, replaced) is put back and dropped.
-- Acknowledged deliveries stay in the stream until the worker's periodic trim.
local stream, events, queue = KEYS[1], KEYS[2], KEYS[3]
local p = ARGV[1]
for i = 2, #ARGV, 8 do
  local key, gen, id, kind, rec = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local ttl, at, event = ARGV[i + 5], tonumber(ARGV[i + 6]), ARGV[i + 7]
  local run = p .. ':rec:' .. key
  redis.call('XACK', stream, 'workers', id)
  local old
  if kind == 'done' then
    old = redis.call('SET', run, rec, 'PX', ttl, 'GET')
  else
    old = redis.call('SET', run, rec, 'GET')
  end
  local flag, st, g = head(old)
  if g == gen and st == 'running' then
    if flag == 'p' then
      redis.call('SETRANGE', run, 0, 'p')
      if kind == 'done' then redis.call('PEXPIRE', p .. ':progress:' .. key, ttl) end
    end
    if kind == 'done' then
      redis.call('PUBLISH', events, event)
    else
      local _, _, ngen = head(rec)
      if at > 0 then
        redis.call('ZADD', queue, at, key)
        redis.call('PUBLISH', events, event)
      else
        redis.call('XADD', stream, '*', 'key', key, 'gen', ngen, 'r', rec)
      end
    end
  elseif not old then
    redis.call('DEL', run)
  elseif terminal(st) then
    redis.call('SET', run, old, 'PX', ttl)
  else
    redis.call('SET', run, old)
  end
end
return 1
