package redisrate

import "github.com/redis/go-redis/v9"

// gcra charges one request to the budget in KEYS[1]. ARGV[1] is the
// interval and ARGV[2] the capacity (Count intervals), both in whole
// microseconds. The key holds the TAT in Unix microseconds: below 2^53, so
// exact in a Lua number. It returns {allowed (1 or 0), how far the TAT is
// ahead of now in microseconds}, the backlog that ratelimit.NewDecision
// takes.
//
// The clock is the server's, so that every instance agrees whatever its
// own clock says. Writing after TIME needs effects replication, the default
// since Redis 5; replicate_commands asks for it where it exists.
var gcra = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then
  tat = tonumber(stored)
  if not tat then
    return redis.error_reply('serviceaccounts rate limit: stored value is not a number')
  end
  if tat < now then tat = now end
end
local next_tat = tat + interval
if next_tat - now > capacity then
  return {0, tat - now}
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return {1, next_tat - now}
`)
