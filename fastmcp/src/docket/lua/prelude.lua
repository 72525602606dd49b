-- Shared by the run scripts: a run record's first line (see redis/record.rs) is
-- `{flag}{state}|{generation}|{attempt}|{created}|{when}|{started}|{completed}|{worker}`.

-- flag, state, generation of a record (nil for none).
local function head(r)
  if not r then return nil, nil, nil end
  local a = string.find(r, '|', 1, true)
  if not a then return nil, nil, nil end
  local b = string.find(r, '|', a + 1, true) or (#r + 1)
  return string.sub(r, 1, 1), string.sub(r, 2, a - 1), string.sub(r, a + 1, b - 1)
end

-- The first line's fields (flag and state together in [1]) and the rest from its newline on.
local function fields(r)
  local nl = string.find(r, '\n', 1, true) or (#r + 1)
  local f = {}
  for x in string.gmatch(string.sub(r, 1, nl - 1) .. '|', '([^|]*)|') do f[#f + 1] = x end
  return f, string.sub(r, nl)
end

-- The record with a new state; `completed` is set when given, else kept.
local function restate(r, state, completed)
  local f, body = fields(r)
  f[1] = string.sub(f[1], 1, 1) .. state
  if completed then f[7] = completed end
  return table.concat(f, '|') .. body
end

local function terminal(st)
  return st == 'completed' or st == 'failed' or st == 'cancelled'
end

local function active(st)
  return st == 'scheduled' or st == 'queued' or st == 'running'
end
