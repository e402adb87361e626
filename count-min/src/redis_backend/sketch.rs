//! [`RedisCountMin`] and [`RedisTopK`]: a sketch's counters in one Redis string, its heavy
//! hitters in a sorted set beside it, every update one script.

use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::LazyLock;

use super::client::{Op, Request, claim_op, parse};
use super::{RedisClient, RedisError};
use crate::probe::Cells;
use crate::{
    Conservative, CountMinSketch, DefaultBuildHasher, HeavyHitter, MAX_K, Plain, StableHasher,
    UpdateRule,
};

/// Adds a list of (count, member, cells) in order and answers each one's new estimate.
///
/// KEYS: the counters (a string of width × depth big-endian u32, `BITFIELD`'s layout), the
/// total (an integer), and for a top-k the sorted set of tracked keys and a hash of each tracked
/// key's cells (so that a halving can re-score them in one script). ARGV[1]: the counters'
/// size in bytes; ARGV[2]: 1 for conservative update; ARGV[3]: the depth; ARGV[4]: k (0 without
/// a top-k); then for each item its count for the counters (at most u32::MAX: a larger one
/// saturates them the same), its count for the total (at most 2^63 − 1), its member (the key's
/// bytes, for the top-k) and its depth cells.
const ADD: &str = r"
local size = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SETRANGE', KEYS[1], size - 1, '\0')
else
  local len = redis.call('STRLEN', KEYS[1])
  if len ~= size then
    return redis.error_reply('BRICKFOREIGN ' .. KEYS[1] .. ' holds ' .. len .. ' bytes, not ' .. size)
  end
end
local conservative = ARGV[2] == '1'
local depth = tonumber(ARGV[3])
local k = tonumber(ARGV[4])
local out = {}
local i = 5
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  local member = ARGV[i + 2]
  local cells = i + 3
  local ops = {}
  local estimate
  if conservative then
    for j = cells, cells + depth - 1 do
      ops[#ops + 1] = 'GET'
      ops[#ops + 1] = 'u32'
      ops[#ops + 1] = '#' .. ARGV[j]
    end
    local old = redis.call('BITFIELD', KEYS[1], unpack(ops))
    local min = math.min(unpack(old))
    estimate = math.min(min + count, 4294967295)
    local sets = {}
    for j = 1, depth do
      if old[j] < estimate then
        sets[#sets + 1] = 'SET'
        sets[#sets + 1] = 'u32'
        sets[#sets + 1] = '#' .. ARGV[cells + j - 1]
        sets[#sets + 1] = estimate
      end
    end
    if #sets > 0 then
      redis.call('BITFIELD', KEYS[1], unpack(sets))
    end
  else
    for j = cells, cells + depth - 1 do
      ops[#ops + 1] = 'INCRBY'
      ops[#ops + 1] = 'u32'
      ops[#ops + 1] = '#' .. ARGV[j]
      ops[#ops + 1] = count
    end
    estimate = math.min(unpack(redis.call('BITFIELD', KEYS[1], 'OVERFLOW', 'SAT', unpack(ops))))
  end
  -- The total saturates at the largest Redis integer.
  local total = redis.pcall('INCRBY', KEYS[2], ARGV[i + 1])
  if type(total) == 'table' then
    redis.call('SET', KEYS[2], '9223372036854775807')
  end
  if k > 0 and count > 0 then
    local enters = false
    if redis.call('ZSCORE', KEYS[3], member) then
      redis.call('ZADD', KEYS[3], estimate, member)
    elseif redis.call('ZCARD', KEYS[3]) < k then
      enters = true
    else
      local least = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
      if estimate > tonumber(least[2]) then
        redis.call('ZREM', KEYS[3], least[1])
        redis.call('HDEL', KEYS[4], least[1])
        enters = true
      end
    end
    if enters then
      redis.call('ZADD', KEYS[3], estimate, member)
      redis.call('HSET', KEYS[4], member, table.concat(ARGV, ',', cells, cells + depth - 1))
    end
  end
  out[#out + 1] = estimate
  i = cells + depth
end
return out
";

/// Halves every counter (a saturated one stays saturated) and the total, then re-scores every
/// tracked key against the halved counters, from the cells the add script kept for it.
///
/// KEYS: counters, total, sorted set, cells hash.
const HALVE: &str = r"
local bytes = redis.call('GET', KEYS[1])
if bytes then
  local parts = {}
  for at = 1, #bytes, 4096 do
    local chunk = {}
    for p = at, math.min(at + 4095, #bytes), 4 do
      local a, b, c, d = string.byte(bytes, p, p + 3)
      local v = ((a * 256 + b) * 256 + c) * 256 + d
      if v ~= 4294967295 then
        v = math.floor(v / 2)
      end
      chunk[#chunk + 1] = string.char(math.floor(v / 16777216), math.floor(v / 65536) % 256,
        math.floor(v / 256) % 256, v % 256)
    end
    parts[#parts + 1] = table.concat(chunk)
  end
  redis.call('SET', KEYS[1], table.concat(parts))
end
-- The total, halved exactly as a decimal string (it may exceed a double's 2^53).
local total = redis.call('GET', KEYS[2])
if total then
  local half, carry = {}, 0
  for p = 1, #total do
    local digit = carry * 10 + tonumber(string.sub(total, p, p))
    half[#half + 1] = math.floor(digit / 2)
    carry = digit % 2
  end
  local text = string.gsub(table.concat(half), '^0+', '')
  if text == '' then
    text = '0'
  end
  redis.call('SET', KEYS[2], text)
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  local cells = redis.call('HGET', KEYS[4], member)
  if cells then
    local ops = {}
    for cell in string.gmatch(cells, '%d+') do
      ops[#ops + 1] = 'GET'
      ops[#ops + 1] = 'u32'
      ops[#ops + 1] = '#' .. cell
    end
    redis.call('ZADD', KEYS[3], math.min(unpack(redis.call('BITFIELD', KEYS[1], unpack(ops)))), member)
  end
end
return 1
";

/// The largest count one script argument carries: the counters are u32, so a larger count
/// saturates them exactly as this one does.
const MAX_COUNT: u64 = u32::MAX as u64;

/// A Count-Min sketch of u32 counters whose state lives in Redis, shared by every process that
/// opens the same prefix with the same shape: after the same stream, the same counters and total
/// as the in-process [`CountMinSketch<u32, S, U>`] (download one and compare).
///
/// - **Layout.** The counters are one Redis string `{prefix}:cms` of width × depth big-endian
///   u32 (what `BITFIELD ... u32 #i` addresses), the total an integer `{prefix}:n`, and the
///   shape is recorded in `{prefix}:meta`. One hash tag, so a Redis Cluster keeps a sketch on
///   one master (and a script may touch all its keys); different sketches spread.
/// - **Decay.** [`halve`](Self::halve) halves counters and total in one script (and, for a
///   [`RedisTopK`], re-scores its tracked keys in the same script).
/// - **Updates.** [`add`](Self::add) is one script: `BITFIELD ... OVERFLOW SAT INCRBY` of the
///   d counters for the plain rule, or a read and a conditional write of them for the
///   conservative rule (atomic: concurrent adds never interleave between the read and the
///   write, so the estimates stay those of some order of the same adds).
///   [`add_many`](Self::add_many) sends a whole batch as one script, in order.
/// - **Queries.** [`estimate`](Self::estimate) is one `BITFIELD_RO` of the d counters.
/// - **Errors.** An `Ok` add has counted; an error may or may not have.
///
/// With feature `tokio`, a sketch on an `AsyncRedisClient` (built by `open_async`) has the
/// same operations, `async` and named with `_async`.
///
/// ```no_run
/// use brick_count_min::{RedisClient, RedisCountMin};
///
/// let client = RedisClient::open("redis://127.0.0.1:6379/")?;
/// // Every API server counts into the same sketch: 0.01 % of all hits, 99 % of the time.
/// let hits = RedisCountMin::<brick_count_min::Plain>::new(client, "hits", 0.0001, 0.01)?;
/// hits.increment("/login")?;
/// assert!(hits.estimate("/login")? >= 1);
/// # Ok::<(), brick_count_min::RedisError>(())
/// ```
pub struct RedisCountMin<U: UpdateRule = Plain, S = DefaultBuildHasher, C = RedisClient> {
    client: C,
    keys: Keys,
    width: u64,
    depth: u64,
    /// The heavy hitters kept beside the counters (0: none, a plain sketch).
    k: u64,
    hasher: S,
    rule: PhantomData<U>,
}

/// The Redis keys of one sketch.
#[derive(Debug, Clone)]
struct Keys {
    counters: String,
    total: String,
    top: String,
    cells: String,
    meta: String,
}

static ADD_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(ADD));
static HALVE_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(HALVE));
/// Reads the counters and the total together, so that they agree.
static READ_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new("return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}")
});
/// Reads the tracked keys (largest first, with scores) and the total together.
static TOP_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "return {redis.call('ZRANGE', KEYS[1], 0, -1, 'REV', 'WITHSCORES'), redis.call('GET', KEYS[2])}",
    )
});

impl<U: UpdateRule, S, C> std::fmt::Debug for RedisCountMin<U, S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCountMin")
            .field("counters", &self.keys.counters)
            .field("width", &self.width)
            .field("depth", &self.depth)
            .field("conservative", &U::CONSERVATIVE)
            .finish_non_exhaustive()
    }
}

impl<U: UpdateRule> RedisCountMin<U, DefaultBuildHasher, RedisClient> {
    /// The sketch of error ε·N with probability 1 − δ under `prefix` (the shape of
    /// [`dimensions`](crate::dimensions)), default hasher.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisCountMin::with_hasher).
    pub fn new(
        client: RedisClient,
        prefix: &str,
        epsilon: f64,
        delta: f64,
    ) -> Result<Self, RedisError> {
        let (width, depth) = crate::dimensions(epsilon, delta)?;
        Self::with_hasher(client, prefix, width, depth, DefaultBuildHasher::default())
    }

    /// The sketch of `depth` rows of `width` counters under `prefix`, default hasher.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisCountMin::with_hasher).
    pub fn with_params(
        client: RedisClient,
        prefix: &str,
        width: u64,
        depth: u64,
    ) -> Result<Self, RedisError> {
        Self::with_hasher(client, prefix, width, depth, DefaultBuildHasher::default())
    }
}

impl<U: UpdateRule, S: StableHasher> RedisCountMin<U, S, RedisClient> {
    /// The sketch of the given shape and hasher under `prefix`. Every process sharing it must
    /// pass the same shape, rule and hasher. Creates the metadata key if the prefix has none.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// - [`RedisError::Config`] for a shape the in-process sketch refuses (the same
    ///   [`Error`](crate::Error)), or one whose counters exceed 512 MiB (Redis's largest string),
    ///   and [`RedisError::BadPrefix`], before any I/O;
    /// - [`RedisError::Mismatch`] if the prefix holds a sketch of another shape, rule or hasher,
    ///   [`RedisError::Foreign`] if its metadata key holds something else, or what reaching
    ///   Redis ran into.
    pub fn with_hasher(
        client: RedisClient,
        prefix: &str,
        width: u64,
        depth: u64,
        hasher: S,
    ) -> Result<Self, RedisError> {
        let sketch = Self::unclaimed(client, prefix, width, depth, hasher, 0)?;
        sketch.call(sketch.claim_op())?;
        Ok(sketch)
    }

    fn call<T>(&self, op: Op<'static, T>) -> Result<T, RedisError> {
        (op.answer)(self.client.exec(op.request)?)
    }

    /// Counts one occurrence of `item`.
    ///
    /// One round trip: a script updating d counters, **O(d)** on the server.
    ///
    /// # Errors
    /// [`RedisError::Foreign`] if the counters' key holds a value this crate did not write, or
    /// what reaching Redis ran into; then the occurrence may or may not have been counted.
    pub fn increment<T: Hash + ?Sized>(&self, item: &T) -> Result<(), RedisError> {
        self.add(item, 1).map(drop)
    }

    /// Counts `count` occurrences of `item` and returns its new estimate, as the in-process
    /// [`CountMinSketch::add`] does. One round trip, one script.
    ///
    /// One round trip: a script updating d counters, **O(d)** on the server.
    ///
    /// # Errors
    /// As [`increment`](Self::increment).
    pub fn add<T: Hash + ?Sized>(&self, item: &T, count: u64) -> Result<u64, RedisError> {
        self.call(self.add_one_op(self.hasher.hash_one(item), count))
    }

    /// Counts each `(item, count)` in order, in one script (one round trip, atomic), and
    /// returns each one's estimate right after its add, as a sequence of
    /// [`add`](Self::add)s would.
    ///
    /// One round trip for the whole batch; **O(n·d)** on the server for n items.
    ///
    /// # Errors
    /// As [`increment`](Self::increment); on an error, none or all of the batch was counted.
    pub fn add_many<T: Hash>(
        &self,
        items: impl IntoIterator<Item = (T, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        self.call(self.add_many_op(items))
    }

    /// How often `item` occurred, at least: as the in-process [`CountMinSketch::estimate`]. One
    /// round trip: one `BITFIELD_RO` of its d counters.
    ///
    /// One round trip: d counter reads, **O(d)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into ([`RedisError::Foreign`] for a key of another type).
    pub fn estimate<T: Hash + ?Sized>(&self, item: &T) -> Result<u64, RedisError> {
        self.call(self.estimate_op(self.hasher.hash_one(item)))
    }

    /// The sum of every count added (saturating at 2^63 − 1, Redis's largest integer).
    ///
    /// One round trip, **O(1)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn total(&self) -> Result<u64, RedisError> {
        self.call(self.total_op())
    }

    /// Halves every counter and the total (see [`CountMinSketch::halve`]), in one script, for a
    /// decaying count.
    ///
    /// One round trip: a script over every counter, **O(w·d)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn halve(&self) -> Result<(), RedisError> {
        self.call(self.halve_op())
    }

    /// Deletes the counters and the total (and the tracked keys): an empty sketch.
    ///
    /// One round trip, **O(1)** on the server (the keys are strings, plus the tracked set's size
    /// for a top-k).
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn clear(&self) -> Result<(), RedisError> {
        self.call(self.clear_op())
    }
}

impl<U: UpdateRule, S: StableHasher + Clone + Send + 'static> RedisCountMin<U, S, RedisClient> {
    /// The sketch as Redis holds it now: an in-process [`CountMinSketch`] with the same
    /// counters, total, shape and hasher (one script reads both, so the two agree).
    ///
    /// One round trip; **O(w·d)** bytes moved.
    ///
    /// # Errors
    /// [`RedisError::Foreign`] for a counters key of another type or length, or what reaching
    /// Redis ran into.
    pub fn download(&self) -> Result<CountMinSketch<u32, S, U>, RedisError> {
        self.call(self.download_op())
    }
}

#[cfg(feature = "tokio")]
impl<U: UpdateRule, S: StableHasher> RedisCountMin<U, S, super::AsyncRedisClient> {
    /// [`with_hasher`](RedisCountMin::with_hasher) on an async client.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisCountMin::with_hasher).
    pub async fn open_async(
        client: super::AsyncRedisClient,
        prefix: &str,
        width: u64,
        depth: u64,
        hasher: S,
    ) -> Result<Self, RedisError> {
        let sketch = Self::unclaimed(client, prefix, width, depth, hasher, 0)?;
        sketch.call_async(sketch.claim_op()).await?;
        Ok(sketch)
    }

    async fn call_async<T>(&self, op: Op<'static, T>) -> Result<T, RedisError> {
        (op.answer)(self.client.exec(op.request).await?)
    }

    /// [`add`](RedisCountMin::add), awaiting the reply.
    ///
    /// One round trip, **O(d)** on the server, as [`add`](RedisCountMin::add).
    ///
    /// # Errors
    /// As [`add`](RedisCountMin::add).
    pub async fn add_async<T: Hash + ?Sized>(
        &self,
        item: &T,
        count: u64,
    ) -> Result<u64, RedisError> {
        self.call_async(self.add_one_op(self.hasher.hash_one(item), count))
            .await
    }

    /// [`add_many`](RedisCountMin::add_many), awaiting the reply.
    ///
    /// One round trip for the whole batch; **O(n·d)** on the server for n items.
    ///
    /// # Errors
    /// As [`add_many`](RedisCountMin::add_many).
    pub async fn add_many_async<T: Hash>(
        &self,
        items: impl IntoIterator<Item = (T, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        self.call_async(self.add_many_op(items)).await
    }

    /// [`estimate`](RedisCountMin::estimate), awaiting the reply.
    ///
    /// One round trip, **O(d)** on the server.
    ///
    /// # Errors
    /// As [`estimate`](RedisCountMin::estimate).
    pub async fn estimate_async<T: Hash + ?Sized>(&self, item: &T) -> Result<u64, RedisError> {
        self.call_async(self.estimate_op(self.hasher.hash_one(item)))
            .await
    }

    /// [`total`](RedisCountMin::total), awaiting the reply.
    ///
    /// One round trip, **O(1)** on the server.
    ///
    /// # Errors
    /// As [`total`](RedisCountMin::total).
    pub async fn total_async(&self) -> Result<u64, RedisError> {
        self.call_async(self.total_op()).await
    }

    /// [`halve`](RedisCountMin::halve), awaiting the reply.
    ///
    /// One round trip, **O(w·d)** on the server.
    ///
    /// # Errors
    /// As [`halve`](RedisCountMin::halve).
    pub async fn halve_async(&self) -> Result<(), RedisError> {
        self.call_async(self.halve_op()).await
    }
}

#[cfg(feature = "tokio")]
impl<U: UpdateRule, S: StableHasher + Clone + Send + 'static>
    RedisCountMin<U, S, super::AsyncRedisClient>
{
    /// [`download`](RedisCountMin::download), awaiting the reply.
    ///
    /// One round trip; **O(w·d)** bytes moved.
    ///
    /// # Errors
    /// As [`download`](RedisCountMin::download).
    pub async fn download_async(&self) -> Result<CountMinSketch<u32, S, U>, RedisError> {
        self.call_async(self.download_op()).await
    }
}

/// What both transports share: the layout and the requests.
impl<U: UpdateRule, S: StableHasher, C> RedisCountMin<U, S, C> {
    /// The handle, its parameters checked, before its shape is claimed in Redis.
    fn unclaimed(
        client: C,
        prefix: &str,
        width: u64,
        depth: u64,
        hasher: S,
        k: u64,
    ) -> Result<Self, RedisError> {
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            return Err(RedisError::BadPrefix(prefix.to_owned()));
        }
        crate::probe::check_shape(width, depth)?;
        if width * depth * 4 > 512 << 20 {
            return Err(RedisError::Config(crate::Error::TooLarge {
                counters: (width * depth) as f64,
            }));
        }
        Ok(Self {
            client,
            keys: Keys {
                counters: format!("{{{prefix}}}:cms"),
                total: format!("{{{prefix}}}:n"),
                top: format!("{{{prefix}}}:top"),
                cells: format!("{{{prefix}}}:cells"),
                meta: format!("{{{prefix}}}:meta"),
            },
            width,
            depth,
            k,
            hasher,
            rule: PhantomData,
        })
    }

    /// Records this sketch's shape under the prefix, or checks that the one recorded is it.
    fn claim_op(&self) -> Op<'static, ()> {
        let meta = self.keys.meta.clone();
        let ours = format!(
            "brick-count-min v1 width={} depth={} conservative={} hasher={}:{:016x} k={}",
            self.width,
            self.depth,
            U::CONSERVATIVE,
            S::ID,
            self.hasher.tag(),
            self.k,
        );
        claim_op(meta, ours)
    }

    /// The d counter indices (row-major, as in process) of a hash.
    fn cells(&self, hash: u64) -> impl Iterator<Item = usize> {
        let mut cells = Cells::new(hash, self.width as usize);
        (0..self.depth).map(move |_| cells.next_cell())
    }

    /// The add script over `items` (hash, count, member) with this sketch's k, answering each
    /// one's new estimate.
    fn add_op<M: AsRef<[u8]>>(
        &self,
        items: impl IntoIterator<Item = (u64, u64, M)>,
    ) -> Op<'static, Vec<u64>> {
        let mut invocation = ADD_SCRIPT.prepare_invoke();
        invocation
            .key(&self.keys.counters)
            .key(&self.keys.total)
            .key(&self.keys.top)
            .key(&self.keys.cells)
            .arg(self.width * self.depth * 4)
            .arg(u8::from(U::CONSERVATIVE))
            .arg(self.depth)
            .arg(self.k);
        let mut n = 0;
        for (hash, count, member) in items {
            invocation
                .arg(count.min(MAX_COUNT))
                .arg(count.min(i64::MAX as u64))
                .arg(member.as_ref());
            for cell in self.cells(hash) {
                invocation.arg(cell);
            }
            n += 1;
        }
        if n == 0 {
            // Nothing to count: no round trip.
            return Op::new(Request::Many(Vec::new()), |_| Ok(Vec::new()));
        }
        Op::new(Request::Script(invocation), move |reply| {
            let estimates: Vec<u64> = parse(reply)?;
            if estimates.len() != n {
                return Err(RedisError::Reply(format!(
                    "{} estimates for {n} adds",
                    estimates.len()
                )));
            }
            Ok(estimates)
        })
    }

    fn add_one_op(&self, hash: u64, count: u64) -> Op<'static, u64> {
        let op = self.add_op([(hash, count, b"")]);
        Op::new(op.request, move |reply| {
            Ok((op.answer)(reply)?.first().copied().unwrap_or(0))
        })
    }

    fn add_many_op<T: Hash>(
        &self,
        items: impl IntoIterator<Item = (T, u64)>,
    ) -> Op<'static, Vec<u64>> {
        let hashed: Vec<(u64, u64, &[u8])> = items
            .into_iter()
            .map(|(item, count)| (self.hasher.hash_one(&item), count, &b""[..]))
            .collect();
        self.add_op(hashed)
    }

    fn estimate_op(&self, hash: u64) -> Op<'static, u64> {
        let mut cmd = redis::cmd("BITFIELD_RO");
        cmd.arg(&self.keys.counters);
        for cell in self.cells(hash) {
            cmd.arg("GET").arg("u32").arg(format!("#{cell}"));
        }
        Op::new(Request::One(cmd), |reply| {
            Ok(parse::<Vec<u64>>(reply)?.into_iter().min().unwrap_or(0))
        })
    }

    fn total_op(&self) -> Op<'static, u64> {
        let cmd = redis::cmd("GET").arg(&self.keys.total).clone();
        Op::new(Request::One(cmd), |reply| {
            Ok(parse::<Option<u64>>(reply)?.unwrap_or(0))
        })
    }

    /// Halves, and re-scores the tracked keys: one script.
    fn halve_op(&self) -> Op<'static, ()> {
        let mut invocation = HALVE_SCRIPT.prepare_invoke();
        invocation
            .key(&self.keys.counters)
            .key(&self.keys.total)
            .key(&self.keys.top)
            .key(&self.keys.cells);
        Op::new(Request::Script(invocation), |_| Ok(()))
    }

    fn clear_op(&self) -> Op<'static, ()> {
        let cmd = redis::cmd("DEL")
            .arg(&self.keys.counters)
            .arg(&self.keys.total)
            .arg(&self.keys.top)
            .arg(&self.keys.cells)
            .clone();
        Op::new(Request::One(cmd), |_| Ok(()))
    }

    /// The tracked keys, largest first with their scores, and the total.
    fn top_op(&self) -> Op<'static, Vec<HeavyHitter<String>>> {
        let mut invocation = TOP_SCRIPT.prepare_invoke();
        invocation.key(&self.keys.top).key(&self.keys.total);
        let epsilon = std::f64::consts::E / self.width as f64;
        Op::new(Request::Script(invocation), move |reply| {
            let (tracked, total): (Vec<(Vec<u8>, u64)>, Option<u64>) = parse(reply)?;
            let error = (epsilon * total.unwrap_or(0) as f64).ceil() as u64;
            tracked
                .into_iter()
                .map(|(member, count)| {
                    Ok(HeavyHitter {
                        key: member_str(&member)?.to_owned(),
                        count,
                        error: error.min(count),
                    })
                })
                .collect()
        })
    }

    /// Columns per row.
    ///
    /// Computes in **O(1)** time.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// Rows.
    ///
    /// Computes in **O(1)** time.
    pub fn depth(&self) -> u64 {
        self.depth
    }

    /// The bytes the counters take in Redis (plus a few dozen of Redis's own per key).
    ///
    /// Computes in **O(1)** time.
    pub fn len_bytes(&self) -> u64 {
        self.width * self.depth * 4
    }

    /// The Redis keys: counters, total and (for a [`RedisTopK`]) the tracked keys' sorted set
    /// and their cells.
    ///
    /// Computes in **O(1)** time.
    pub fn key_names(&self) -> [&str; 4] {
        [
            &self.keys.counters,
            &self.keys.total,
            &self.keys.top,
            &self.keys.cells,
        ]
    }
}

impl<U: UpdateRule, S: StableHasher + Clone + Send + 'static, C> RedisCountMin<U, S, C> {
    fn download_op(&self) -> Op<'static, CountMinSketch<u32, S, U>> {
        let mut invocation = READ_SCRIPT.prepare_invoke();
        invocation.key(&self.keys.counters).key(&self.keys.total);
        let (width, depth, hasher) = (self.width, self.depth, self.hasher.clone());
        let name = self.keys.counters.clone();
        Op::new(Request::Script(invocation), move |reply| {
            let (bytes, total): (Option<Vec<u8>>, Option<u64>) = parse(reply)?;
            let cells = (width * depth) as usize;
            let counters = match bytes {
                None => vec![0u32; cells],
                Some(b) if b.len() == cells * 4 => b
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                Some(b) => {
                    return Err(RedisError::Foreign(format!(
                        "{name} holds {} bytes, not {}",
                        b.len(),
                        cells * 4
                    )));
                }
            };
            Ok(CountMinSketch::from_parts(
                counters,
                width as usize,
                depth as usize,
                total.unwrap_or(0),
                hasher,
            ))
        })
    }
}

/// A tracked key's text: members are written from `&str` keys only.
fn member_str(member: &[u8]) -> Result<&str, RedisError> {
    std::str::from_utf8(member)
        .map_err(|_| RedisError::Foreign("a tracked key that is not UTF-8".into()))
}

/// The k keys with the largest estimates of a conservative [`RedisCountMin`], kept in a sorted
/// set beside it and updated in the same script as the counters, as the in-process [`TopK`]
/// keeps them in its heap: a key enters when its estimate beats the smallest tracked one, and
/// takes the smallest one's place (the DataSketches and RedisBloom `TOPK` design). Keys are
/// text. With feature `tokio`, the same operations on an `AsyncRedisClient`, named `_async`.
///
/// [`TopK`]: crate::TopK
///
/// ```no_run
/// use brick_count_min::{RedisClient, RedisTopK};
///
/// let client = RedisClient::open("redis://127.0.0.1:6379/")?;
/// let trending = RedisTopK::new(client, "hashtags", 10, 0.0001, 0.01)?;
/// trending.insert("#rust")?;
/// for hit in trending.top()? {
///     println!("{} ~{} (±{})", hit.key, hit.count, hit.error);
/// }
/// # Ok::<(), brick_count_min::RedisError>(())
/// ```
#[derive(Debug)]
pub struct RedisTopK<S = DefaultBuildHasher, C = RedisClient> {
    sketch: RedisCountMin<Conservative, S, C>,
}

impl RedisTopK<DefaultBuildHasher, RedisClient> {
    /// The `k` heaviest keys over a sketch of error ε·N with probability 1 − δ, under `prefix`.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// [`RedisError::Config`] for k = 0 or above [`MAX_K`], and as
    /// [`RedisCountMin::with_hasher`].
    pub fn new(
        client: RedisClient,
        prefix: &str,
        k: u64,
        epsilon: f64,
        delta: f64,
    ) -> Result<Self, RedisError> {
        let (width, depth) = crate::dimensions(epsilon, delta)?;
        Self::with_hasher(
            client,
            prefix,
            k,
            width,
            depth,
            DefaultBuildHasher::default(),
        )
    }
}

/// Refuses k = 0 and k above [`MAX_K`], as the in-process [`TopK`](crate::TopK) does.
fn check_k(k: u64) -> Result<(), RedisError> {
    if k == 0 || k > MAX_K {
        return Err(RedisError::Config(crate::Error::InvalidK(k)));
    }
    Ok(())
}

impl<S: StableHasher> RedisTopK<S, RedisClient> {
    /// The `k` heaviest keys over a sketch of the given shape and hasher.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`new`](RedisTopK::new).
    pub fn with_hasher(
        client: RedisClient,
        prefix: &str,
        k: u64,
        width: u64,
        depth: u64,
        hasher: S,
    ) -> Result<Self, RedisError> {
        check_k(k)?;
        let sketch = RedisCountMin::unclaimed(client, prefix, width, depth, hasher, k)?;
        sketch.call(sketch.claim_op())?;
        Ok(Self { sketch })
    }

    /// Counts one occurrence of `key`.
    ///
    /// One round trip: a script updating d counters and the tracked set, **O(d + log k)** on the
    /// server.
    ///
    /// # Errors
    /// As [`RedisCountMin::increment`].
    pub fn insert(&self, key: &str) -> Result<(), RedisError> {
        self.add(key, 1).map(drop)
    }

    /// Counts `count` occurrences of `key`, updates the tracked keys, and returns its new
    /// estimate. One round trip, one script.
    ///
    /// One round trip: a script updating d counters and the tracked set, **O(d + log k)** on the
    /// server.
    ///
    /// # Errors
    /// As [`RedisCountMin::increment`].
    pub fn add(&self, key: &str, count: u64) -> Result<u64, RedisError> {
        Ok(self.sketch.call(self.add_op([(key, count)]))?[0])
    }

    /// Counts each `(key, count)` in order, in one script, and returns each one's estimate
    /// right after its add.
    ///
    /// One round trip for the whole batch; **O(n·(d + log k))** on the server for n keys.
    ///
    /// # Errors
    /// As [`RedisCountMin::add_many`].
    pub fn add_many<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        self.sketch.call(self.add_op(items))
    }

    /// The tracked keys, largest estimate first, each with the bound ⌈ε·N⌉ (as
    /// [`TopK::top`](crate::TopK::top)). One round trip: one script reads the set and the total.
    ///
    /// One round trip, **O(k)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn top(&self) -> Result<Vec<HeavyHitter<String>>, RedisError> {
        self.sketch.call(self.sketch.top_op())
    }

    /// The sketch's estimate for any key, tracked or not.
    ///
    /// One round trip, **O(d)** on the server.
    ///
    /// # Errors
    /// As [`RedisCountMin::estimate`].
    pub fn estimate(&self, key: &str) -> Result<u64, RedisError> {
        self.sketch.estimate(key)
    }

    /// Halves every count and re-scores the tracked keys against the halved counters (as
    /// [`TopK::halve`](crate::TopK::halve)), in one script.
    ///
    /// One round trip: a script over every counter and tracked key, **O(w·d + k·d)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn halve(&self) -> Result<(), RedisError> {
        self.sketch.halve()
    }

    /// Forgets everything.
    ///
    /// One round trip, **O(k)** on the server (the tracked set is freed).
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn clear(&self) -> Result<(), RedisError> {
        self.sketch.clear()
    }
}

#[cfg(feature = "tokio")]
impl<S: StableHasher> RedisTopK<S, super::AsyncRedisClient> {
    /// [`with_hasher`](RedisTopK::with_hasher) on an async client.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisTopK::with_hasher).
    pub async fn open_async(
        client: super::AsyncRedisClient,
        prefix: &str,
        k: u64,
        width: u64,
        depth: u64,
        hasher: S,
    ) -> Result<Self, RedisError> {
        check_k(k)?;
        let sketch = RedisCountMin::unclaimed(client, prefix, width, depth, hasher, k)?;
        sketch.call_async(sketch.claim_op()).await?;
        Ok(Self { sketch })
    }

    /// [`add`](RedisTopK::add), awaiting the reply.
    ///
    /// One round trip, **O(d + log k)** on the server.
    ///
    /// # Errors
    /// As [`add`](RedisTopK::add).
    pub async fn add_async(&self, key: &str, count: u64) -> Result<u64, RedisError> {
        Ok(self.sketch.call_async(self.add_op([(key, count)])).await?[0])
    }

    /// [`add_many`](RedisTopK::add_many), awaiting the reply.
    ///
    /// One round trip for the whole batch; **O(n·(d + log k))** on the server for n keys.
    ///
    /// # Errors
    /// As [`add_many`](RedisTopK::add_many).
    pub async fn add_many_async<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        self.sketch.call_async(self.add_op(items)).await
    }

    /// [`top`](RedisTopK::top), awaiting the reply.
    ///
    /// One round trip, **O(k)** on the server.
    ///
    /// # Errors
    /// As [`top`](RedisTopK::top).
    pub async fn top_async(&self) -> Result<Vec<HeavyHitter<String>>, RedisError> {
        self.sketch.call_async(self.sketch.top_op()).await
    }

    /// [`halve`](RedisTopK::halve), awaiting the reply.
    ///
    /// One round trip, **O(w·d + k·d)** on the server.
    ///
    /// # Errors
    /// As [`halve`](RedisTopK::halve).
    pub async fn halve_async(&self) -> Result<(), RedisError> {
        self.sketch.halve_async().await
    }
}

impl<S: StableHasher, C> RedisTopK<S, C> {
    fn add_op<'a>(&self, items: impl IntoIterator<Item = (&'a str, u64)>) -> Op<'static, Vec<u64>> {
        let hashed: Vec<(u64, u64, &[u8])> = items
            .into_iter()
            .map(|(key, count)| (self.sketch.hasher.hash_one(key), count, key.as_bytes()))
            .collect();
        self.sketch.add_op(hashed)
    }

    /// How many keys are tracked at most.
    ///
    /// Computes in **O(1)** time.
    pub fn k(&self) -> u64 {
        self.sketch.k
    }

    /// The sketch underneath.
    ///
    /// Computes in **O(1)** time.
    pub fn sketch(&self) -> &RedisCountMin<Conservative, S, C> {
        &self.sketch
    }
}
