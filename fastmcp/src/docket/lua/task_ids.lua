-- The live task ids of an owner, oldest first, in one round trip: index entries whose record
-- expired are removed on the way (the index cleans itself instead of growing until trimmed).
local index, prefix = KEYS[1], ARGV[1]
local live = {}
for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  if redis.call('EXISTS', prefix .. ':task:' .. id) == 1 then
    live[#live + 1] = id
  else
    redis.call('ZREM', index, id)
  end
end
return live
