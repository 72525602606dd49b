-- Drops acknowledged deliveries from the stream: entries older than both the oldest pending
-- delivery and the first one not delivered yet. An entry a worker still holds, or that no
-- worker has read, is never dropped; XTRIM's `~` trims whole nodes, so a few older entries
-- may stay until the next trim.
local stream, group = KEYS[1], ARGV[1]
local function older(a, b)
  local a1, a2 = string.match(a, '(%d+)-(%d+)')
  local b1, b2 = string.match(b, '(%d+)-(%d+)')
  a1, a2, b1, b2 = tonumber(a1), tonumber(a2), tonumber(b1), tonumber(b2)
  return a1 < b1 or (a1 == b1 and a2 < b2)
end
local floor
for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local name, last
  for j = 1, #g, 2 do
    if g[j] == 'name' then name = g[j + 1] end
    if g[j] == 'last-delivered-id' then last = g[j + 1] end
  end
  if name == group and last then
    floor = last
    local oldest = redis.call('XPENDING', stream, group)[2]
    if oldest and older(oldest, last) then floor = oldest end
  end
end
if not floor or floor == '0-0' then return 0 end
return redis.call('XTRIM', stream, 'MINID', '~', floor)
