-- Records a run and makes it due (stream) or schedules it (sorted set). The record arrives
-- built for a fresh key (generation 1); an existing record costs a second look.
local run, stream, queue, events, progress = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local key, rec, when, now, replace = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == "1"
local old = redis.call('SET', run, rec, 'NX', 'GET')
local gen = 1
if old then
  local flag, st, g = head(old)
  if active(st) then
    if not replace then return {'EXISTS', 0} end
    -- A queued delivery of the old generation is dropped by its claim.
    if st == 'scheduled' then redis.call('ZREM', queue, key) end
  end
  if flag == 'p' then redis.call('DEL', progress) end
  gen = (tonumber(g) or 0) + 1
  local f, body = fields(rec)
  f[2] = tostring(gen)
  rec = table.concat(f, '|') .. body
  -- Without KEEPTTL: the old record's expiry goes.
  redis.call('SET', run, rec)
end
if when <= now then
  redis.call('XADD', stream, '*', 'key', key, 'gen', gen, 'r', rec)
else
  redis.call('ZADD', queue, when, key)
  redis.call('PUBLISH', events, cjson.encode({key = key, state = 'scheduled', generation = gen}))
end
return {'OK', gen}
