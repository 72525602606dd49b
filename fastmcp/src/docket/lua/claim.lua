-- Claims deliveries: each comes with the running record the worker built from the queued one
-- in its stream entry. One SET .. GET writes it and returns what was there; a delivery of a
-- run that was replaced, cancelled, finished or expired meanwhile is put back as it was and
-- dropped. Returns the indexes (from 1) of the claimed deliveries.
local stream = KEYS[1]
local p = ARGV[1]
local out = {}
local n = 0
for i = 2, #ARGV, 4 do
  n = n + 1
  local key, gen, id, rec = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local run = p .. ':rec:' .. key
  local old = redis.call('SET', run, rec, 'KEEPTTL', 'GET')
  local flag, st, g = head(old)
  if g == gen and (st == 'queued' or st == 'running') then
    if flag == 'p' then redis.call('SETRANGE', run, 0, 'p') end
    out[#out + 1] = n
  else
    if old then redis.call('SET', run, old, 'KEEPTTL') else redis.call('DEL', run) end
    redis.call('XACK', stream, 'workers', id)
    redis.call('XDEL', stream, id)
  end
end
return out
