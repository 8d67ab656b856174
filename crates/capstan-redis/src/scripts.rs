//! The Lua scripts: each does one step on one topic's keys (one hash tag,
//! one Redis Cluster slot), atomically. Times are Redis's own (`TIME`),
//! so the nodes' clocks do not matter.
//!
//! A script is sent by its hash (`EVALSHA`) while the connection knows
//! Redis has it, else whole (`EVAL`, which also caches it): see
//! `connection`. Sent by hash to a Redis that lost it, a script would be
//! refused (`NOSCRIPT`) and sent again, after the calls made meanwhile:
//! publications would take positions out of their calls' order.

use std::sync::LazyLock;
use std::time::Duration;

use redis::{Cmd, Script, ToRedisArgs};

/// How many scripts there are (each has an [`id`](Lua::id) below it).
pub(crate) const SCRIPTS: usize = 6;

/// A script: its source, its hash, its place among the scripts.
pub(crate) struct Lua {
    /// The Lua text.
    pub source: String,
    /// Its SHA-1, as `EVALSHA` takes it.
    pub hash: String,
    /// Its index, below [`SCRIPTS`].
    pub id: usize,
}

impl Lua {
    fn new(id: usize, source: String) -> Self {
        let hash = Script::new(&source).get_hash().to_owned();
        Self { source, hash, id }
    }

    /// A call of this script, its keys and arguments to add.
    pub(crate) fn call(&self) -> Call<'_> {
        Call { lua: self, keys: Vec::new(), args: Vec::new() }
    }
}

/// Every script, to load them all.
pub(crate) fn all() -> [&'static Lua; SCRIPTS] {
    [&PUBLISH, &LATEST, &SINCE, &PRESENCE_ADD, &PRESENCE_LIST, &PAGE]
}

/// One call of a script.
pub(crate) struct Call<'a> {
    /// The script called.
    pub lua: &'a Lua,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call<'_> {
    /// Adds a key (`KEYS[n]`).
    pub(crate) fn key(&mut self, key: impl ToRedisArgs) -> &mut Self {
        key.write_redis_args(&mut self.keys);
        self
    }

    /// Adds an argument (`ARGV[n]`).
    pub(crate) fn arg(&mut self, arg: impl ToRedisArgs) -> &mut Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    /// `EVALSHA` (by hash) or `EVAL` (whole) of this call.
    pub(crate) fn command(&self, by_hash: bool) -> Cmd {
        let mut cmd = if by_hash {
            redis::cmd("EVALSHA").arg(&self.lua.hash).to_owned()
        } else {
            redis::cmd("EVAL").arg(&self.lua.source).to_owned()
        };
        cmd.arg(self.keys.len());
        for key in &self.keys {
            cmd.arg(key.as_slice());
        }
        for arg in &self.args {
            cmd.arg(arg.as_slice());
        }
        cmd
    }
}

/// A topic's meta: read it, or begin a new epoch if it is gone. A stream
/// without its meta is from a lost epoch (its offsets could be given
/// again): it is deleted. Sets `epoch` and `latest`.
///
/// `KEYS[1]` stream, `KEYS[2]` meta; `ARGV[1]` a fresh epoch (made by the
/// node), `ARGV[2]` the meta's time-to-live (ms).
const META: &str = r"
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local latest = 0
if epoch then
  latest = tonumber(redis.call('HGET', KEYS[2], 'offset') or '0')
else
  redis.call('DEL', KEYS[1])
  epoch = ARGV[1]
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
";

/// Redis's clock, in milliseconds: `now`.
const NOW: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
";

/// A kept publication: appended to the topic's stream and, if asked,
/// published on its channel, in one step. Answers `{offset, epoch,
/// duplicate}`.
///
/// `KEYS[1]` stream, `KEYS[2]` meta, `KEYS[3]` (optional) the idempotency
/// key. `ARGV[1]` a fresh epoch, `ARGV[2]` the meta's time-to-live (ms),
/// `ARGV[3]` the history's most entries, `ARGV[4]` the history's
/// time-to-live (ms, also the idempotency key's), `ARGV[5]` the opcode,
/// `ARGV[6]` the payload, `ARGV[7]` the publish command (`PUBLISH`,
/// `SPUBLISH`, or empty: append only), `ARGV[8]` the channel, `ARGV[9]`
/// the envelope's header (the script adds ` <offset> <epoch>\n`).
///
/// An idempotency key holds `<offset> <epoch>`: a key of another epoch
/// does not count (its offset means nothing in this one). The entry is
/// added before the offset is moved on: if `XADD` fails, nothing changed.
/// Its id is `<offset>-0`, so that `XRANGE` reads by offset; `MAXLEN` is
/// exact (not `~`): the history keeps what the configuration says, no
/// more (`~` trims whole radix nodes, keeping up to about 100 more), and
/// a trim removes one entry per append. The meta outlives the stream
/// (`meta_ttl >= history_ttl`), so offsets never repeat within an epoch.
pub(crate) static PUBLISH: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        0,
        format!(
            r"{META}
if KEYS[3] then
  local seen = redis.call('GET', KEYS[3])
  if seen then
    local space = string.find(seen, ' ', 1, true)
    if space and string.sub(seen, space + 1) == epoch then
      return {{tonumber(string.sub(seen, 1, space - 1)), epoch, 1}}
    end
  end
end
{NOW}
local offset = latest + 1
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], offset .. '-0', 'o', ARGV[5], 't', now, 'd', ARGV[6])
redis.call('HSET', KEYS[2], 'offset', offset)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if KEYS[3] then
  redis.call('SET', KEYS[3], offset .. ' ' .. epoch, 'PX', ARGV[4])
end
if ARGV[7] ~= '' then
  redis.call(ARGV[7], ARGV[8], ARGV[9] .. ' ' .. offset .. ' ' .. epoch .. '\n' .. ARGV[6])
end
return {{offset, epoch, 0}}
"
        ),
    )
});

/// A topic's latest position: `{offset, epoch}`. A topic never published
/// to (or whose meta expired) gets its epoch now, at offset 0, so that a
/// client that starts from this answer later recovers everything that
/// follows it. Keys and arguments as [`META`].
pub(crate) static LATEST: LazyLock<Lua> =
    LazyLock::new(|| Lua::new(1, format!("{META}\nreturn {{latest, epoch}}")));

/// What a topic got after a position: `{epoch, latest, recovered, then
/// offset, opcode, payload for each entry}` (`recovered` 0: not all of it
/// is there).
///
/// Keys and `ARGV[1..2]` as [`META`]; `ARGV[3]` the position's offset,
/// `ARGV[4]` its epoch, `ARGV[5]` the history's time-to-live (ms),
/// `ARGV[6]` the most entries answered.
///
/// Not recovered: another epoch, an offset ahead of the stream, or the
/// entry after the offset gone (trimmed, or older than the history's
/// time-to-live: a stream that is published to all the time never
/// expires as a key, so each entry's time is checked). Entries after it
/// are newer: its age is enough.
pub(crate) static SINCE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        2,
        format!(
            r"{META}
local since = tonumber(ARGV[3])
if ARGV[4] ~= epoch or since > latest then
  return {{epoch, latest, 0}}
end
if since == latest then
  return {{epoch, latest, 1}}
end
{NOW}
local entries = redis.call('XRANGE', KEYS[1], (since + 1) .. '-0', '+', 'COUNT', ARGV[6])
local answer = {{epoch, latest, 1}}
for i, entry in ipairs(entries) do
  local offset = tonumber(string.match(entry[1], '^(%d+)-'))
  local fields = {{}}
  for f = 1, #entry[2], 2 do
    fields[entry[2][f]] = entry[2][f + 1]
  end
  if i == 1 and (offset ~= since + 1 or tonumber(fields['t']) + tonumber(ARGV[5]) <= now) then
    return {{epoch, latest, 0}}
  end
  answer[#answer + 1] = offset
  answer[#answer + 1] = fields['o']
  answer[#answer + 1] = fields['d']
end
if #entries == 0 or answer[#answer - 2] ~= latest then
  return {{epoch, latest, 0}}
end
return answer
"
        ),
    )
});

/// A page of a topic's stream, oldest first: `{epoch, then offset,
/// opcode, payload for each entry}`. Entries older than the history's
/// time-to-live are left out, as [`SINCE`] leaves them.
///
/// Keys and `ARGV[1..2]` as [`META`]; `ARGV[3]` the range (`latest`,
/// `before` or `after`), `ARGV[4]` its offset, `ARGV[5]` the most entries,
/// `ARGV[6]` the history's time-to-live (ms).
pub(crate) static PAGE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        5,
        format!(
            r"{META}
{NOW}
local entries
if ARGV[3] == 'after' then
  entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[4] .. '-0', '+', 'COUNT', ARGV[5])
else
  local top = '+'
  if ARGV[3] == 'before' then
    top = '(' .. ARGV[4] .. '-0'
  end
  local newest = redis.call('XREVRANGE', KEYS[1], top, '-', 'COUNT', ARGV[5])
  entries = {{}}
  for i = #newest, 1, -1 do
    entries[#entries + 1] = newest[i]
  end
end
local answer = {{epoch}}
for _, entry in ipairs(entries) do
  local fields = {{}}
  for f = 1, #entry[2], 2 do
    fields[entry[2][f]] = entry[2][f + 1]
  end
  if tonumber(fields['t']) + tonumber(ARGV[6]) > now then
    answer[#answer + 1] = tonumber(string.match(entry[1], '^(%d+)-'))
    answer[#answer + 1] = fields['o']
    answer[#answer + 1] = fields['d']
  end
end
return answer
"
        ),
    )
});

/// A presence entry added or refreshed: it expires the time-to-live from
/// now, and so do both keys (a topic nobody refreshes disappears whole).
///
/// `KEYS[1]` the members by expiry, `KEYS[2]` their information;
/// `ARGV[1]` the member, `ARGV[2]` its information, `ARGV[3]` the
/// time-to-live (ms).
pub(crate) static PRESENCE_ADD: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        3,
        format!(
            r"{NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
"
        ),
    )
});

/// A topic's live members: the expired ones are dropped first. With
/// `ARGV[1]` = `count`, their number; else `{member, info, ...}`. Keys as
/// [`PRESENCE_ADD`].
pub(crate) static PRESENCE_LIST: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        4,
        format!(
            r"{NOW}
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  for i = 1, #gone, 1000 do
    redis.call('HDEL', KEYS[2], unpack(gone, i, math.min(i + 999, #gone)))
  end
end
if ARGV[1] == 'count' then
  return redis.call('ZCARD', KEYS[1])
end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local answer = {{}}
for _, member in ipairs(members) do
  answer[#answer + 1] = member
  answer[#answer + 1] = redis.call('HGET', KEYS[2], member) or ''
end
return answer
"
        ),
    )
});

/// A duration as the scripts take it: whole milliseconds, at least 1
/// (Redis refuses an expiry of 0).
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}
