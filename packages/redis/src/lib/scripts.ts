import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis store. Each touches exactly ONE key (KEYS[1]), so each runs
 * atomically on whichever Redis Cluster node owns that key's slot; no script needs keys in the
 * same slot. Times are passed in from the application's clock; Redis only sees relative TTLs.
 *
 * @internal
 */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * SLO index add/update. KEYS[1] = index sorted set; ARGV = session ID, expiresAt, now.
 * Drops members whose score (expiresAt) has passed, sets this member's score, and keeps the key's
 * TTL at the latest score, so the index outlives every session it lists and then expires itself.
 */
export const INDEX_ADD: LuaScript = script(
  'indexAdd',
  `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = math.ceil(tonumber(top[2]) - tonumber(ARGV[3]))
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return 1`,
);

/**
 * Conditional take of a pending request. KEYS[1] = the pending request (JSON `{e, r}`); ARGV =
 * kind, idpEntityId. Deletes and returns the JSON only when the record's `kind` and `idpEntityId`
 * equal ARGV (core's `matchesPendingRequest`); otherwise (absent, or another kind or IdP) returns
 * nil and leaves the key and its TTL as they were, for the answer it waits for. A record Lua's
 * JSON decoder cannot read (application data with a lone surrogate escape, or nested deeper than
 * its limit) answers 0 and is left as it is: the caller compares it itself and takes it with
 * {@link PENDING_TAKE_EXACT}.
 */
export const PENDING_TAKE_IF: LuaScript = script(
  'pendingTakeIf',
  `local v = redis.call('GET', KEYS[1])
if not v then return false end
local ok, stored = pcall(cjson.decode, v)
if not ok then return 0 end
if type(stored) ~= 'table' or type(stored['r']) ~= 'table' then return false end
local r = stored['r']
if r['kind'] ~= ARGV[1] or r['idpEntityId'] ~= ARGV[2] then return false end
redis.call('DEL', KEYS[1])
return v`,
);

/**
 * Takes a pending request only if it is still exactly the JSON the caller read and compared.
 * KEYS[1] = the pending request; ARGV[1] = its JSON. Returns 1 when this call deleted it, else 0
 * (gone, or taken by another node meanwhile): so of several callers one takes it.
 */
export const PENDING_TAKE_EXACT: LuaScript = script(
  'pendingTakeExact',
  `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
);

/**
 * Session create/replace. KEYS[1] = session hash; ARGV = record JSON, expiresAt, TTL ms.
 * Returns the record JSON it replaced (or nil) so the caller can leave the old SLO index.
 */
export const SESSION_PUT: LuaScript = script(
  'sessionPut',
  `local old = redis.call('HGET', KEYS[1], 'r')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'e', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return old`,
);

/**
 * Session delete. KEYS[1] = session hash. Returns `[record JSON, expiresAt]` of what it deleted
 * (both nil when there was nothing).
 */
export const SESSION_TAKE: LuaScript = script(
  'sessionTake',
  `local old = redis.call('HMGET', KEYS[1], 'r', 'e')
redis.call('DEL', KEYS[1])
return old`,
);

/**
 * Session touch. KEYS[1] = session hash; ARGV = expiresAt, TTL ms. Returns 1 when the session
 * existed (and now carries the new expiry), 0 otherwise.
 */
export const SESSION_TOUCH: LuaScript = script(
  'sessionTouch',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
);

/**
 * SLO index read with pruning. KEYS[1] = index sorted set; ARGV = now. Drops members whose score
 * (the session's expiresAt) has passed and returns the rest, oldest expiry first.
 */
export const INDEX_LIVE: LuaScript = script(
  'indexLive',
  `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)`,
);

/**
 * Session end for a bulk logout. KEYS[1] = session hash; ARGV = issuer, nameId, '1' when a
 * SessionIndex is asked for (else '0'), that SessionIndex, now.
 * Deletes the session only when its record belongs to that issuer and NameID (and SessionIndex),
 * so an index member that outlived a move to another NameID can never end someone else's session.
 * Returns `{0}` gone or expired (the index member can go), `{1}` belongs to another NameID now
 * (the member can go, the session stays), `{2}` another SessionIndex or an unreadable record
 * (both stay), `{3, record JSON, expiresAt}` ended.
 */
export const SESSION_END: LuaScript = script(
  'sessionEnd',
  `local v = redis.call('HMGET', KEYS[1], 'r', 'e')
if not v[1] then return {0} end
local ok, rec = pcall(cjson.decode, v[1])
if not ok or type(rec) ~= 'table' then return {2} end
if rec['issuer'] ~= ARGV[1] or rec['nameId'] ~= ARGV[2] then return {1} end
if ARGV[3] == '1' and rec['sessionIndex'] ~= ARGV[4] then return {2} end
redis.call('DEL', KEYS[1])
if not v[2] or tonumber(v[2]) <= tonumber(ARGV[5]) then return {0} end
return {3, v[1], v[2]}`,
);

/**
 * {@link SESSION_END} over many sessions at once, for a single Redis only (on Redis Cluster the
 * keys lie in different slots, and each goes through SESSION_END on its own). KEYS[1] = the SLO
 * index, KEYS[2..] = session hashes; ARGV[1..5] as SESSION_END, ARGV[6..] = the index member (session
 * ID) of each session hash, in the same order. Returns one SESSION_END result per session, in
 * order; a key that is not a hash gives `{-1}` (not ended, counted as failed). Members whose
 * session is gone, expired, ended or moved to another NameID leave the index in the same call, so
 * a bulk logout costs one round trip per chunk. UNLINK frees the hashes off the main thread.
 */
export const SESSIONS_END: LuaScript = script(
  'sessionsEnd',
  `local out = {}
local drop = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local okv, v = pcall(redis.call, 'HMGET', key, 'r', 'e')
  local res
  if not okv then
    res = {-1}
  elseif not v[1] then
    res = {0}
  else
    local ok, rec = pcall(cjson.decode, v[1])
    if not ok or type(rec) ~= 'table' then
      res = {2}
    elseif rec['issuer'] ~= ARGV[1] or rec['nameId'] ~= ARGV[2] then
      res = {1}
    elseif ARGV[3] == '1' and rec['sessionIndex'] ~= ARGV[4] then
      res = {2}
    else
      redis.call('UNLINK', key)
      if not v[2] or tonumber(v[2]) <= tonumber(ARGV[5]) then
        res = {0}
      else
        res = {3, v[1], v[2]}
      end
    end
  end
  out[i - 1] = res
  if res[1] == 0 or res[1] == 1 or res[1] == 3 then
    drop[#drop + 1] = ARGV[i + 4]
    if #drop == 1000 then
      redis.call('ZREM', KEYS[1], unpack(drop))
      drop = {}
    end
  end
end
if #drop > 0 then redis.call('ZREM', KEYS[1], unpack(drop)) end
return out`,
);
