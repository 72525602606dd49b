-- Records runs and makes each due (stream) or schedules it (sorted set), a batch at a time:
-- per run its key, record, due time and whether it replaces a live run. A record arrives built
-- for a fresh key (generation 1); an existing one costs a second look. Returns per run its
-- generation, or 0 when a live run has the key (and nothing was added).
local stream, queue, events = KEYS[1], KEYS[2], KEYS[3]
local p, now = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV, 4 do
  local key, rec, when, replace = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3] == '1'
  local run = p .. ':rec:' .. key
  local old = redis.call('SET', run, rec, 'NX', 'GET')
  local gen = 1
  if old then
    local flag, st, g = head(old)
    if active(st) and not replace then
      gen = 0
    else
      -- A queued delivery of the old generation is dropped by its claim.
      if st == 'scheduled' then redis.call('ZREM', queue, key) end
      if flag == 'p' then redis.call('DEL', p .. ':progress:' .. key) end
      gen = (tonumber(g) or 0) + 1
      local f, body = fields(rec)
      f[2] = tostring(gen)
      rec = table.concat(f, '|') .. body
      -- Without KEEPTTL: the old record's expiry goes.
      redis.call('SET', run, rec)
    end
  end
  if gen > 0 then
    if when <= now then
      redis.call('XADD', stream, '*', 'key', key, 'gen', gen, 'r', rec)
    else
      redis.call('ZADD', queue, when, key)
      redis.call('PUBLISH', events, cjson.encode({key = key, state = 'scheduled', generation = gen}))
    end
  end
  out[#out + 1] = gen
end
return out
