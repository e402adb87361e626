//! [`RedisCountMin`] and [`RedisTopK`]: a sketch's counters in one Redis string, its heavy
//! hitters in a sorted set beside it, every update one script.

use std::hash::Hash;
use std::marker::PhantomData;

use super::{RedisClient, RedisError};
use crate::probe::Cells;
use crate::{
    Conservative, CountMinSketch, DefaultBuildHasher, HeavyHitter, MAX_K, Plain, SketchHasher,
    UpdateRule,
};

/// Adds a list of (count, member, cells) in order and answers each one's new estimate.
///
/// KEYS: the counters (a string of width × depth big-endian u32, `BITFIELD`'s layout), the
/// total (an integer), and for a top-k the sorted set of tracked keys. ARGV[1]: the counters'
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
    if redis.call('ZSCORE', KEYS[3], member) then
      redis.call('ZADD', KEYS[3], estimate, member)
    elseif redis.call('ZCARD', KEYS[3]) < k then
      redis.call('ZADD', KEYS[3], estimate, member)
    else
      local least = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
      if estimate > tonumber(least[2]) then
        redis.call('ZREM', KEYS[3], least[1])
        redis.call('ZADD', KEYS[3], estimate, member)
      end
    end
  end
  out[#out + 1] = estimate
  i = cells + depth
end
return out
";

/// Halves every counter (a saturated one stays saturated) and the total, then re-scores the
/// tracked keys still in the set against the halved counters.
///
/// KEYS: counters, total, sorted set. ARGV[1]: the depth; then for each tracked key its member
/// and its depth cells.
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
local depth = tonumber(ARGV[1])
local i = 2
while i <= #ARGV do
  local member = ARGV[i]
  if redis.call('ZSCORE', KEYS[3], member) then
    local ops = {}
    for j = i + 1, i + depth do
      ops[#ops + 1] = 'GET'
      ops[#ops + 1] = 'u32'
      ops[#ops + 1] = '#' .. ARGV[j]
    end
    redis.call('ZADD', KEYS[3], math.min(unpack(redis.call('BITFIELD', KEYS[1], unpack(ops)))), member)
  end
  i = i + 1 + depth
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
/// - **Updates.** [`add`](Self::add) is one script: `BITFIELD ... OVERFLOW SAT INCRBY` of the
///   d counters for the plain rule, or a read and a conditional write of them for the
///   conservative rule (atomic: concurrent adds never interleave between the read and the
///   write, so the estimates stay those of some order of the same adds).
///   [`add_many`](Self::add_many) sends a whole batch as one script, in order.
/// - **Queries.** [`estimate`](Self::estimate) is one `BITFIELD_RO` of the d counters.
/// - **Errors.** An `Ok` add has counted; an error may or may not have.
///
/// ```no_run
/// use brick_count_min::{RedisClient, RedisCountMin};
///
/// let client = RedisClient::open("redis://127.0.0.1:6379/")?;
/// // Every API server counts into the same sketch: 0.01 % of all hits, 99 % of the time.
/// let hits = RedisCountMin::<brick_count_min::Plain>::with_error(client, "hits", 0.0001, 0.01)?;
/// hits.increment("/login")?;
/// assert!(hits.estimate("/login")? >= 1);
/// # Ok::<(), brick_count_min::RedisError>(())
/// ```
pub struct RedisCountMin<U: UpdateRule = Plain, S = DefaultBuildHasher> {
    client: RedisClient,
    keys: Keys,
    width: u64,
    depth: u64,
    hasher: S,
    add: redis::Script,
    rule: PhantomData<U>,
}

/// The Redis keys of one sketch.
#[derive(Debug, Clone)]
struct Keys {
    counters: String,
    total: String,
    top: String,
}

impl<U: UpdateRule, S> std::fmt::Debug for RedisCountMin<U, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCountMin")
            .field("counters", &self.keys.counters)
            .field("width", &self.width)
            .field("depth", &self.depth)
            .field("conservative", &U::CONSERVATIVE)
            .finish_non_exhaustive()
    }
}

impl<U: UpdateRule> RedisCountMin<U, DefaultBuildHasher> {
    /// The sketch of error ε·N with probability 1 − δ under `prefix` (the shape of
    /// [`dimensions`](crate::dimensions)), default hasher.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisCountMin::with_hasher).
    pub fn with_error(
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
    /// # Errors
    /// As [`with_hasher`](RedisCountMin::with_hasher).
    pub fn new(
        client: RedisClient,
        prefix: &str,
        width: u64,
        depth: u64,
    ) -> Result<Self, RedisError> {
        Self::with_hasher(client, prefix, width, depth, DefaultBuildHasher::default())
    }
}

impl<U: UpdateRule, S: SketchHasher> RedisCountMin<U, S> {
    /// The sketch of the given shape and hasher under `prefix`. Every process sharing it must
    /// pass the same shape, rule and hasher. Creates the metadata key if the prefix has none.
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
        Self::open(client, prefix, width, depth, hasher, 0)
    }

    fn open(
        client: RedisClient,
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
        let sketch = Self {
            client,
            keys: Keys {
                counters: format!("{{{prefix}}}:cms"),
                total: format!("{{{prefix}}}:n"),
                top: format!("{{{prefix}}}:top"),
            },
            width,
            depth,
            hasher,
            add: redis::Script::new(ADD),
            rule: PhantomData,
        };
        let meta = format!("{{{prefix}}}:meta");
        let ours = format!(
            "brick-count-min v1 width={width} depth={depth} conservative={} hasher={}:{:016x} k={k}",
            U::CONSERVATIVE,
            S::ID,
            sketch.hasher.tag(),
        );
        let stored: String = sketch.client.run(|con| {
            let mut replies = con.pipeline(vec![
                redis::cmd("SET").arg(&meta).arg(&ours).arg("NX").clone(),
                redis::cmd("GET").arg(&meta).clone(),
            ])?;
            redis::from_redis_value(replies.pop().unwrap_or(redis::Value::Nil)).map_err(Into::into)
        })?;
        if stored != ours {
            return Err(RedisError::Mismatch(format!(
                "{meta} records {stored:?}; this handle is {ours:?}"
            )));
        }
        Ok(sketch)
    }

    /// The d counter indices (row-major, as in process) of a hash.
    fn cells(&self, hash: u64) -> impl Iterator<Item = usize> {
        let mut cells = Cells::new(hash, self.width as usize);
        (0..self.depth).map(move |_| cells.next_cell())
    }

    /// Runs the add script over `items` (hash, count, member), `k` heavy hitters kept (0 for
    /// none), and returns each one's new estimate.
    fn run_add<'a>(
        &self,
        items: impl IntoIterator<Item = (u64, u64, &'a [u8])>,
        k: u64,
    ) -> Result<Vec<u64>, RedisError> {
        let mut invocation = self.add.prepare_invoke();
        invocation
            .key(&self.keys.counters)
            .key(&self.keys.total)
            .key(&self.keys.top)
            .arg(self.width * self.depth * 4)
            .arg(u8::from(U::CONSERVATIVE))
            .arg(self.depth)
            .arg(k);
        let mut n = 0;
        for (hash, count, member) in items {
            invocation
                .arg(count.min(MAX_COUNT))
                .arg(count.min(i64::MAX as u64))
                .arg(member);
            for cell in self.cells(hash) {
                invocation.arg(cell);
            }
            n += 1;
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let estimates: Vec<u64> = self.client.run(|con| invocation.invoke(con.like()))?;
        if estimates.len() != n {
            return Err(RedisError::Reply(format!(
                "{} estimates for {n} adds",
                estimates.len()
            )));
        }
        Ok(estimates)
    }

    /// Counts one occurrence of `item`.
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
    /// # Errors
    /// As [`increment`](Self::increment).
    pub fn add<T: Hash + ?Sized>(&self, item: &T, count: u64) -> Result<u64, RedisError> {
        let estimates = self.run_add([(self.hasher.hash_one(item), count, &b""[..])], 0)?;
        Ok(estimates[0])
    }

    /// Counts each `(item, count)` in order, in one script (one round trip, atomic), and
    /// returns each one's estimate right after its add, as a sequence of
    /// [`add`](Self::add)s would.
    ///
    /// # Errors
    /// As [`increment`](Self::increment); on an error, none or all of the batch was counted.
    pub fn add_many<T: Hash>(
        &self,
        items: impl IntoIterator<Item = (T, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        let hashed: Vec<(u64, u64)> = items
            .into_iter()
            .map(|(item, count)| (self.hasher.hash_one(&item), count))
            .collect();
        self.run_add(hashed.into_iter().map(|(h, c)| (h, c, &b""[..])), 0)
    }

    /// How often `item` occurred, at least: as the in-process [`CountMinSketch::estimate`]. One
    /// round trip: one `BITFIELD_RO` of its d counters.
    ///
    /// # Errors
    /// What reaching Redis ran into ([`RedisError::Foreign`] for a key of another type).
    pub fn estimate<T: Hash + ?Sized>(&self, item: &T) -> Result<u64, RedisError> {
        let mut cmd = redis::cmd("BITFIELD_RO");
        cmd.arg(&self.keys.counters);
        for cell in self.cells(self.hasher.hash_one(item)) {
            cmd.arg("GET").arg("u32").arg(format!("#{cell}"));
        }
        let counters: Vec<u64> = self.client.run(|con| cmd.query(con.like()))?;
        Ok(counters.into_iter().min().unwrap_or(0))
    }

    /// The sum of every count added (saturating at 2^63 − 1, Redis's largest integer).
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn total(&self) -> Result<u64, RedisError> {
        let total: Option<u64> = self
            .client
            .run(|con| redis::cmd("GET").arg(&self.keys.total).query(con.like()))?;
        Ok(total.unwrap_or(0))
    }

    /// Columns per row.
    pub fn width(&self) -> u64 {
        self.width
    }

    /// Rows.
    pub fn depth(&self) -> u64 {
        self.depth
    }

    /// The bytes the counters take in Redis (plus a few dozen of Redis's own per key).
    pub fn len_bytes(&self) -> u64 {
        self.width * self.depth * 4
    }

    /// The Redis keys: counters, total and (for a [`RedisTopK`]) the tracked keys' sorted set.
    pub fn key_names(&self) -> [&str; 3] {
        [&self.keys.counters, &self.keys.total, &self.keys.top]
    }

    /// Halves every counter and the total (see [`CountMinSketch::halve`]), in one script, for a
    /// decaying count.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn halve(&self) -> Result<(), RedisError> {
        self.halve_tracking(&[])
    }

    /// Halves, then re-scores the tracked keys `members` that are still tracked.
    fn halve_tracking(&self, members: &[Vec<u8>]) -> Result<(), RedisError> {
        let script = redis::Script::new(HALVE);
        let mut invocation = script.prepare_invoke();
        invocation
            .key(&self.keys.counters)
            .key(&self.keys.total)
            .key(&self.keys.top)
            .arg(self.depth);
        for member in members {
            invocation.arg(member.as_slice());
            for cell in self.cells(self.hasher.hash_one(member_str(member)?)) {
                invocation.arg(cell);
            }
        }
        self.client
            .run(|con| invocation.invoke::<i64>(con.like()))
            .map(drop)
    }

    /// Deletes the counters and the total (and the tracked keys): an empty sketch.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn clear(&self) -> Result<(), RedisError> {
        self.client.run(|con| {
            redis::cmd("DEL")
                .arg(&self.keys.counters)
                .arg(&self.keys.total)
                .arg(&self.keys.top)
                .query::<i64>(con.like())
                .map(drop)
        })
    }
}

impl<U: UpdateRule, S: SketchHasher + Clone> RedisCountMin<U, S> {
    /// The sketch as Redis holds it now: an in-process [`CountMinSketch`] with the same
    /// counters, total, shape and hasher (one script reads both, so the two agree).
    ///
    /// # Errors
    /// [`RedisError::Foreign`] for a counters key of another type or length, or what reaching
    /// Redis ran into.
    pub fn download(&self) -> Result<CountMinSketch<u32, S, U>, RedisError> {
        let read =
            redis::Script::new("return {redis.call('GET', KEYS[1]), redis.call('GET', KEYS[2])}");
        let (bytes, total): (Option<Vec<u8>>, Option<u64>) = self.client.run(|con| {
            read.key(&self.keys.counters)
                .key(&self.keys.total)
                .invoke(con.like())
        })?;
        let cells = (self.width * self.depth) as usize;
        let counters = match bytes {
            None => vec![0u32; cells],
            Some(b) if b.len() == cells * 4 => b
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Some(b) => {
                return Err(RedisError::Foreign(format!(
                    "{} holds {} bytes, not {}",
                    self.keys.counters,
                    b.len(),
                    cells * 4
                )));
            }
        };
        Ok(CountMinSketch::from_parts(
            counters,
            self.width as usize,
            self.depth as usize,
            total.unwrap_or(0),
            self.hasher.clone(),
        ))
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
/// text.
///
/// [`TopK`]: crate::TopK
///
/// ```no_run
/// use brick_count_min::{RedisClient, RedisTopK};
///
/// let client = RedisClient::open("redis://127.0.0.1:6379/")?;
/// let trending = RedisTopK::with_error(client, "hashtags", 10, 0.0001, 0.01)?;
/// trending.insert("#rust")?;
/// for hit in trending.top()? {
///     println!("{} ~{} (±{})", hit.key, hit.count, hit.error);
/// }
/// # Ok::<(), brick_count_min::RedisError>(())
/// ```
#[derive(Debug)]
pub struct RedisTopK<S = DefaultBuildHasher> {
    sketch: RedisCountMin<Conservative, S>,
    k: u64,
}

impl RedisTopK<DefaultBuildHasher> {
    /// The `k` heaviest keys over a sketch of error ε·N with probability 1 − δ, under `prefix`.
    ///
    /// # Errors
    /// [`RedisError::Config`] for k = 0 or above [`MAX_K`], and as
    /// [`RedisCountMin::with_hasher`].
    pub fn with_error(
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

impl<S: SketchHasher> RedisTopK<S> {
    /// The `k` heaviest keys over a sketch of the given shape and hasher.
    ///
    /// # Errors
    /// As [`with_error`](RedisTopK::with_error).
    pub fn with_hasher(
        client: RedisClient,
        prefix: &str,
        k: u64,
        width: u64,
        depth: u64,
        hasher: S,
    ) -> Result<Self, RedisError> {
        if k == 0 || k > MAX_K {
            return Err(RedisError::Config(crate::Error::InvalidK(k)));
        }
        let sketch = RedisCountMin::open(client, prefix, width, depth, hasher, k)?;
        Ok(Self { sketch, k })
    }

    /// Counts one occurrence of `key`.
    ///
    /// # Errors
    /// As [`RedisCountMin::increment`].
    pub fn insert(&self, key: &str) -> Result<(), RedisError> {
        self.add(key, 1).map(drop)
    }

    /// Counts `count` occurrences of `key`, updates the tracked keys, and returns its new
    /// estimate. One round trip, one script.
    ///
    /// # Errors
    /// As [`RedisCountMin::increment`].
    pub fn add(&self, key: &str, count: u64) -> Result<u64, RedisError> {
        let hash = self.sketch.hasher.hash_one(key);
        Ok(self
            .sketch
            .run_add([(hash, count, key.as_bytes())], self.k)?[0])
    }

    /// Counts each `(key, count)` in order, in one script, and returns each one's estimate
    /// right after its add.
    ///
    /// # Errors
    /// As [`RedisCountMin::add_many`].
    pub fn add_many<'a>(
        &self,
        items: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<Vec<u64>, RedisError> {
        let hashed: Vec<(u64, u64, &[u8])> = items
            .into_iter()
            .map(|(key, count)| (self.sketch.hasher.hash_one(key), count, key.as_bytes()))
            .collect();
        self.sketch.run_add(hashed, self.k)
    }

    /// The tracked keys, largest estimate first, each with the bound ⌈ε·N⌉ (as
    /// [`TopK::top`](crate::TopK::top)). Two round trips: the set, and the total.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn top(&self) -> Result<Vec<HeavyHitter<String>>, RedisError> {
        let tracked: Vec<(Vec<u8>, u64)> = self.sketch.client.run(|con| {
            redis::cmd("ZRANGE")
                .arg(&self.sketch.keys.top)
                .arg(0)
                .arg(-1)
                .arg("REV")
                .arg("WITHSCORES")
                .query(con.like())
        })?;
        let epsilon = std::f64::consts::E / self.sketch.width as f64;
        let error = (epsilon * self.sketch.total()? as f64).ceil() as u64;
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
    }

    /// The sketch's estimate for any key, tracked or not.
    ///
    /// # Errors
    /// As [`RedisCountMin::estimate`].
    pub fn estimate(&self, key: &str) -> Result<u64, RedisError> {
        self.sketch.estimate(key)
    }

    /// How many keys are tracked at most.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// The sketch underneath.
    pub fn sketch(&self) -> &RedisCountMin<Conservative, S> {
        &self.sketch
    }

    /// Halves every count and re-scores the tracked keys against the halved counters (as
    /// [`TopK::halve`](crate::TopK::halve)), in one script after one read of the tracked keys.
    /// A key that a concurrent add brings in between keeps the score it entered with.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn halve(&self) -> Result<(), RedisError> {
        let members: Vec<Vec<u8>> = self.sketch.client.run(|con| {
            redis::cmd("ZRANGE")
                .arg(&self.sketch.keys.top)
                .arg(0)
                .arg(-1)
                .query(con.like())
        })?;
        self.sketch.halve_tracking(&members)
    }

    /// Forgets everything.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn clear(&self) -> Result<(), RedisError> {
        self.sketch.clear()
    }
}
