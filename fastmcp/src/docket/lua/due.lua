-- Moves scheduled runs that are due to the stream; returns how many and the next due time.
local queue, stream = KEYS[1], KEYS[2]
local now, limit, p = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local due = redis.call('ZRANGEBYSCORE', queue, '-inf', now, 'LIMIT', 0, limit)
for _, key in ipairs(due) do
  redis.call('ZREM', queue, key)
  local run = p .. ':rec:' .. key
  local r = redis.call('GET', run)
  local _, st, gen = head(r)
  if st == 'scheduled' then
    r = restate(r, 'queued')
    redis.call('SET', run, r, 'KEEPTTL')
    redis.call('XADD', stream, '*', 'key', key, 'gen', gen, 'r', r)
  end
end
local nxt = redis.call('ZRANGE', queue, 0, 0, 'WITHSCORES')
return {#due, nxt[2] or ''}
