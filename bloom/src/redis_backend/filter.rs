//! [`RedisBloomFilter`]: the blocked filter's bits in Redis strings.

use std::hash::Hash;

use std::sync::LazyLock;

use super::client::{Op, Request, claim_op, parse};
use super::{RedisClient, RedisError};
use crate::blocked::Locator;
use crate::{BLOCK_BITS, BlockedBloomFilter, DefaultBuildHasher, Params, StableHasher};

/// Sets an item's bits in one key and answers whether they were all set already, for each of
/// the items given, in order. The key is created at its full size on first use, so a key of
/// another type or length is never this filter's: it is refused, not written.
///
/// KEYS[1]: the key. ARGV[1]: its size in bytes. ARGV[2..]: for each item, the number of its
/// bits (k, or fewer where two of its bits coincide), then their offsets.
const INSERT: &str = r"
local size = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SETRANGE', KEYS[1], size - 1, '\0')
else
  local len = redis.call('STRLEN', KEYS[1])
  if len ~= size then
    return redis.error_reply('BRICKFOREIGN ' .. KEYS[1] .. ' holds ' .. len .. ' bytes, not ' .. size)
  end
end
local out = {}
local i = 2
while i <= #ARGV do
  local count = tonumber(ARGV[i])
  local present = 1
  for j = i + 1, i + count do
    if redis.call('SETBIT', KEYS[1], ARGV[j], 1) == 0 then
      present = 0
    end
  end
  out[#out + 1] = present
  i = i + count + 1
end
return out
";

/// The 64-byte blocks at the given byte offsets of one key, in order (empty strings if the
/// key does not exist: nothing was inserted there).
///
/// KEYS[1]: the key. ARGV: the offsets.
const READ: &str = r"
local out = {}
for i = 1, #ARGV do
  out[i] = redis.call('GETRANGE', KEYS[1], ARGV[i], ARGV[i] + 63)
end
return out
";

/// Replaces one key's bytes, unless it holds a value this filter did not write.
///
/// KEYS[1]: the key. ARGV[1]: the bytes.
const UPLOAD: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  local len = redis.call('STRLEN', KEYS[1])
  if len ~= string.len(ARGV[1]) then
    return redis.error_reply('BRICKFOREIGN ' .. KEYS[1] .. ' holds ' .. len .. ' bytes, not ' .. string.len(ARGV[1]))
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
";

/// How a [`RedisBloomFilter`] spreads its bits over keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisBloomOptions {
    /// The largest key, in bytes (rounded down to whole 64-byte blocks, at least one). Default
    /// 16 MiB: a Redis string holds up to 512 MiB, but a key is one slot of a Redis Cluster and
    /// one unit of replication, so many moderate keys spread and move better than a few huge
    /// ones.
    pub max_key_bytes: u64,
}

impl Default for RedisBloomOptions {
    fn default() -> Self {
        Self {
            max_key_bytes: 16 << 20,
        }
    }
}

/// A blocked Bloom filter whose bits live in Redis, shared by every process that opens the same
/// prefix with the same parameters: the same bits, bit for bit, as a [`BlockedBloomFilter`]
/// with those parameters and hasher would hold after the same inserts.
///
/// - **Layout.** The filter's 512-bit blocks are cut into keys of at most
///   [`max_key_bytes`](RedisBloomOptions::max_key_bytes) each, named `{prefix:i}` (each its
///   own hash tag, so a Redis Cluster spreads them over its slots), and stored as the wire
///   format lays them out (8 little-endian words a block). A key `{prefix}:meta` records the
///   shape and hasher; a handle of another shape is refused.
/// - **Queries.** An item's k bits are in one block, so [`contains`](Self::contains) is one
///   `GETRANGE` of 64 bytes, answered here: one round trip, no script.
/// - **Inserts.** [`insert`](Self::insert) is one script that sets the k bits in one key and
///   says whether they were all set already. Scripts are atomic, so concurrent inserts from
///   many processes lose nothing.
/// - **Batches.** [`insert_many`](Self::insert_many) groups the items by key, one script a
///   key, and [`contains_many`](Self::contains_many) sends a `GETRANGE` an item, in one
///   pipeline (on a Redis Cluster, one script a key for both, one after another: the redis
///   crate's cluster pipelines do not follow a resharding's redirections).
/// - **Errors.** An `Ok` from an insert means its bits are set; an error means they may or may
///   not be, so a caller that needs the item present retries. No false negative is possible for
///   an insert that returned `Ok`.
///
/// With feature `tokio`, a filter on an `AsyncRedisClient` has the same operations, `async`
/// and named with `_async` (`insert_async`, `contains_many_async`, …), built by
/// `open_async`.
///
/// ```no_run
/// use brick_bloom::{RedisBloomFilter, RedisClient};
///
/// let client = RedisClient::open("redis://127.0.0.1:6379/")?;
/// // Every crawler worker opens the same filter: 10 million URLs at 1 %.
/// let seen = RedisBloomFilter::new(client, "crawler:seen", 10_000_000, 0.01)?;
/// if !seen.insert("https://example.com/")? {
///     // first time any worker saw it: fetch the page
/// }
/// assert!(seen.contains("https://example.com/")?);
/// # Ok::<(), brick_bloom::RedisError>(())
/// ```
pub struct RedisBloomFilter<S = DefaultBuildHasher, C = RedisClient> {
    client: C,
    /// `{prefix:` — a key is this, its index, and `}`.
    key_head: String,
    prefix: String,
    locator: Locator,
    params: Params,
    blocks_per_key: u64,
    keys: u64,
    hasher: S,
    /// Whether batches go one script a key (a Redis Cluster) or one pipeline.
    cluster: bool,
}

static INSERT_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(INSERT));
static UPLOAD_SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(UPLOAD));

impl<S, C> std::fmt::Debug for RedisBloomFilter<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBloomFilter")
            .field("keys", &format_args!("{}…}}", self.key_head))
            .field("params", &self.params)
            .field("key_count", &self.keys)
            .finish_non_exhaustive()
    }
}

impl RedisBloomFilter<DefaultBuildHasher> {
    /// The filter for `n` items at rate `p` ([`Params::blocked`], as
    /// [`BlockedBloomFilter::new`]) under `prefix`, default hasher and options. Creates the
    /// metadata key if the prefix has none; the bits' keys are created by the first insert into
    /// each.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// - [`RedisError::Config`] for the parameters [`BlockedBloomFilter::new`] refuses, and
    ///   [`RedisError::BadPrefix`], before any I/O;
    /// - [`RedisError::Mismatch`] if the prefix holds a filter of another shape or hasher,
    ///   [`RedisError::Foreign`] if its metadata key holds something else, or what reaching
    ///   Redis ran into.
    pub fn new(client: RedisClient, prefix: &str, n: u64, p: f64) -> Result<Self, RedisError> {
        Self::with_hasher(
            client,
            prefix,
            Params::blocked(n, p)?,
            DefaultBuildHasher::default(),
            RedisBloomOptions::default(),
        )
    }
}

impl<S: StableHasher> RedisBloomFilter<S, RedisClient> {
    /// The filter of shape `params` (bits rounded up to whole blocks, as in process) and
    /// `hasher` under `prefix`. Every process sharing the filter must pass the same parameters,
    /// hasher and options.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`new`](RedisBloomFilter::new); [`RedisError::BadOptions`] for a key size below 64
    /// bytes.
    pub fn with_hasher(
        client: RedisClient,
        prefix: &str,
        params: Params,
        hasher: S,
        options: RedisBloomOptions,
    ) -> Result<Self, RedisError> {
        let cluster = client.is_cluster();
        let filter = Self::unclaimed(client, prefix, params, hasher, options, cluster)?;
        filter.call(filter.claim())?;
        Ok(filter)
    }

    fn call<T>(&self, op: Op<'_, T>) -> Result<T, RedisError> {
        (op.answer)(self.client.exec(op.request)?)
    }

    /// Adds an item; `Ok(true)` if it was possibly present already.
    ///
    /// One round trip: one script that sets k bits in one key.
    ///
    /// One round trip: a script setting k bits of one block key, **O(k)** on the server.
    ///
    /// # Errors
    /// [`RedisError::Foreign`] if the item's key holds a value this filter did not write, or
    /// what reaching Redis ran into; then the item may or may not have been added.
    pub fn insert<T: Hash + ?Sized>(&self, item: &T) -> Result<bool, RedisError> {
        self.call(self.insert_op(self.hasher.hash_one(item)))
    }

    /// [`insert`](Self::insert) by a well-mixed 64-bit hash.
    ///
    /// One round trip: a script setting k bits of one block key, **O(k)** on the server.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_hash(&self, hash: u64) -> Result<bool, RedisError> {
        self.call(self.insert_op(hash))
    }

    /// Whether the item is possibly present (`Ok(false)` is certain).
    ///
    /// One round trip: one `GETRANGE` of the item's 64-byte block, checked here.
    ///
    /// One round trip: k bit reads of one block key, **O(k)** on the server.
    ///
    /// # Errors
    /// [`RedisError::Foreign`] if the item's key holds a value this filter did not write (a
    /// string of another length is caught when its range comes back short), or what reaching
    /// Redis ran into.
    pub fn contains<T: Hash + ?Sized>(&self, item: &T) -> Result<bool, RedisError> {
        self.call(self.contains_op(self.hasher.hash_one(item)))
    }

    /// [`contains`](Self::contains) by a 64-bit hash.
    ///
    /// One round trip: k bit reads of one block key, **O(k)** on the server.
    ///
    /// # Errors
    /// As [`contains`](Self::contains).
    pub fn contains_hash(&self, hash: u64) -> Result<bool, RedisError> {
        self.call(self.contains_op(hash))
    }

    /// Adds every item, in order; for each, whether it was possibly present already (as a
    /// sequence of [`insert`](Self::insert)s would answer).
    ///
    /// One round trip: one script for each key the items fall in, pipelined (on a Redis
    /// Cluster, one after another).
    ///
    /// One round trip for the whole batch; **O(n·k)** on the server for n items.
    ///
    /// # Errors
    /// As [`insert`](Self::insert); on an error, any of the items may or may not have been
    /// added.
    pub fn insert_many<T: Hash>(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<bool>, RedisError> {
        self.call(self.insert_many_op(items))
    }

    /// For every item, in order, whether it is possibly present.
    ///
    /// One round trip: a `GETRANGE` of each item's block, pipelined. On a Redis Cluster, one
    /// script a key that reads its items' blocks, the scripts one after another (the redis
    /// crate's cluster pipelines do not follow a resharding's redirections).
    ///
    /// One round trip for the whole batch; **O(n·k)** on the server for n items.
    ///
    /// # Errors
    /// As [`contains`](Self::contains).
    pub fn contains_many<T: Hash>(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<bool>, RedisError> {
        self.call(self.contains_many_op(items))
    }

    /// Removes every item: deletes the keys that hold the bits (the metadata stays).
    ///
    /// One round trip; **O(keys)** on the server.
    ///
    /// # Errors
    /// What reaching Redis ran into.
    pub fn clear(&self) -> Result<(), RedisError> {
        self.call(self.clear_op())
    }
}

impl<S: StableHasher + Clone> RedisBloomFilter<S, RedisClient> {
    /// The whole filter, read key by key: a [`BlockedBloomFilter`] with these parameters and
    /// hasher, bit for bit what Redis holds (its `to_bytes` gives the versioned wire format).
    /// Keys no insert has reached yet read as zeros. Not a snapshot: inserts that run meanwhile
    /// may be in it or not.
    ///
    /// One round trip per key; **O(m)** bytes moved.
    ///
    /// # Errors
    /// [`RedisError::Config`] if the filter cannot be allocated here,
    /// [`RedisError::Foreign`] for a key of another type or length, or what reaching Redis ran
    /// into.
    pub fn download(&self) -> Result<BlockedBloomFilter<S>, RedisError> {
        let mut filter = BlockedBloomFilter::with_hasher(self.params, self.hasher.clone())?;
        for key in 0..self.keys {
            let bytes = self.client.exec(self.download_request(key))?;
            self.fill_key(&mut filter, key, bytes)?;
        }
        Ok(filter)
    }

    /// Replaces the filter's bits with `filter`'s, key by key (a migration into Redis). Not
    /// atomic: inserts that run meanwhile may be overwritten, so upload before the fleet starts.
    ///
    /// One round trip per key; **O(m)** bytes moved.
    ///
    /// # Errors
    /// [`RedisError::Mismatch`] if `filter` differs in bits, k or hasher (before any I/O),
    /// [`RedisError::Foreign`] for a key of another type or length (left as it is), or what
    /// reaching Redis ran into (then some keys may have been replaced).
    pub fn upload(&self, filter: &BlockedBloomFilter<S>) -> Result<(), RedisError> {
        self.check_upload(filter)?;
        for key in 0..self.keys {
            self.client.exec(self.upload_request(filter, key))?;
        }
        Ok(())
    }
}

#[cfg(feature = "tokio")]
impl<S: StableHasher> RedisBloomFilter<S, super::AsyncRedisClient> {
    /// [`with_hasher`](RedisBloomFilter::with_hasher) on an async client.
    ///
    /// Computes in **O(1)** time locally; one round trip to record or check the shape.
    ///
    /// # Errors
    /// As [`with_hasher`](RedisBloomFilter::with_hasher).
    pub async fn open_async(
        client: super::AsyncRedisClient,
        prefix: &str,
        params: Params,
        hasher: S,
        options: RedisBloomOptions,
    ) -> Result<Self, RedisError> {
        let filter = Self::unclaimed(client, prefix, params, hasher, options, false)?;
        filter.call_async(filter.claim()).await?;
        Ok(filter)
    }

    async fn call_async<T>(&self, op: Op<'_, T>) -> Result<T, RedisError> {
        (op.answer)(self.client.exec(op.request).await?)
    }

    /// [`insert`](RedisBloomFilter::insert), awaiting the reply.
    ///
    /// One round trip, **O(k)** on the server, as [`insert`](RedisBloomFilter::insert).
    ///
    /// # Errors
    /// As [`insert`](RedisBloomFilter::insert).
    pub async fn insert_async<T: Hash + ?Sized>(&self, item: &T) -> Result<bool, RedisError> {
        self.call_async(self.insert_op(self.hasher.hash_one(item)))
            .await
    }

    /// [`contains`](RedisBloomFilter::contains), awaiting the reply.
    ///
    /// One round trip, **O(k)** on the server, as [`contains`](RedisBloomFilter::contains).
    ///
    /// # Errors
    /// As [`contains`](RedisBloomFilter::contains).
    pub async fn contains_async<T: Hash + ?Sized>(&self, item: &T) -> Result<bool, RedisError> {
        self.call_async(self.contains_op(self.hasher.hash_one(item)))
            .await
    }

    /// [`insert_many`](RedisBloomFilter::insert_many), awaiting the replies.
    ///
    /// One round trip for the whole batch; **O(n·k)** on the server for n items.
    ///
    /// # Errors
    /// As [`insert_many`](RedisBloomFilter::insert_many).
    pub async fn insert_many_async<T: Hash>(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<bool>, RedisError> {
        self.call_async(self.insert_many_op(items)).await
    }

    /// [`contains_many`](RedisBloomFilter::contains_many), awaiting the replies.
    ///
    /// One round trip for the whole batch; **O(n·k)** on the server for n items.
    ///
    /// # Errors
    /// As [`contains_many`](RedisBloomFilter::contains_many).
    pub async fn contains_many_async<T: Hash>(
        &self,
        items: impl IntoIterator<Item = T>,
    ) -> Result<Vec<bool>, RedisError> {
        self.call_async(self.contains_many_op(items)).await
    }

    /// [`clear`](RedisBloomFilter::clear), awaiting the reply.
    ///
    /// One round trip; **O(keys)** on the server.
    ///
    /// # Errors
    /// As [`clear`](RedisBloomFilter::clear).
    pub async fn clear_async(&self) -> Result<(), RedisError> {
        self.call_async(self.clear_op()).await
    }
}

#[cfg(feature = "tokio")]
impl<S: StableHasher + Clone> RedisBloomFilter<S, super::AsyncRedisClient> {
    /// [`download`](RedisBloomFilter::download), awaiting each key.
    ///
    /// One round trip per key; **O(m)** bytes moved.
    ///
    /// # Errors
    /// As [`download`](RedisBloomFilter::download).
    pub async fn download_async(&self) -> Result<BlockedBloomFilter<S>, RedisError> {
        let mut filter = BlockedBloomFilter::with_hasher(self.params, self.hasher.clone())?;
        for key in 0..self.keys {
            let bytes = self.client.exec(self.download_request(key)).await?;
            self.fill_key(&mut filter, key, bytes)?;
        }
        Ok(filter)
    }

    /// [`upload`](RedisBloomFilter::upload), awaiting each key.
    ///
    /// One round trip per key; **O(m)** bytes moved.
    ///
    /// # Errors
    /// As [`upload`](RedisBloomFilter::upload).
    pub async fn upload_async(&self, filter: &BlockedBloomFilter<S>) -> Result<(), RedisError> {
        self.check_upload(filter)?;
        for key in 0..self.keys {
            self.client.exec(self.upload_request(filter, key)).await?;
        }
        Ok(())
    }
}

/// What both transports share: the layout and the requests.
impl<S: StableHasher, C> RedisBloomFilter<S, C> {
    /// The handle, its parameters checked, before its shape is claimed in Redis.
    fn unclaimed(
        client: C,
        prefix: &str,
        params: Params,
        hasher: S,
        options: RedisBloomOptions,
        cluster: bool,
    ) -> Result<Self, RedisError> {
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            return Err(RedisError::BadPrefix(prefix.to_owned()));
        }
        let params = Params::new(params.bits.div_ceil(BLOCK_BITS) * BLOCK_BITS, params.hashes)?;
        let blocks_per_key = options.max_key_bytes / 64;
        if blocks_per_key == 0 {
            return Err(RedisError::BadOptions(format!(
                "max_key_bytes {} is below one 64-byte block",
                options.max_key_bytes
            )));
        }
        let blocks = params.bits / BLOCK_BITS;
        Ok(Self {
            client,
            key_head: format!("{{{prefix}:"),
            prefix: prefix.to_owned(),
            locator: Locator::new(blocks, params.hashes),
            params,
            blocks_per_key,
            keys: blocks.div_ceil(blocks_per_key),
            hasher,
            cluster,
        })
    }

    /// Records this filter's shape under the prefix, or checks that the one recorded is it.
    fn claim(&self) -> Op<'static, ()> {
        let meta = format!("{{{}}}:meta", self.prefix);
        let ours = format!(
            "brick-bloom blocked v1 bits={} hashes={} hasher={}:{:016x} key_blocks={}",
            self.params.bits,
            self.params.hashes,
            S::ID,
            self.hasher.tag(),
            self.blocks_per_key
        );
        claim_op(meta, ours)
    }

    /// The Redis key that holds block `block`, and the block's first byte in it.
    fn place(&self, block: u64) -> (String, u64) {
        (
            self.key_name(block / self.blocks_per_key),
            (block % self.blocks_per_key) * 64,
        )
    }

    /// The size of key `key` in bytes: full, except perhaps the last.
    fn key_bytes(&self, key: u64) -> u64 {
        let blocks = self.params.bits / BLOCK_BITS;
        (blocks - key * self.blocks_per_key).min(self.blocks_per_key) * 64
    }

    fn insert_op(&self, hash: u64) -> Op<'static, bool> {
        let (block, mask) = self.locator.locate(hash);
        let (key, base) = self.place(block);
        let size = self.key_bytes(block / self.blocks_per_key);
        let mut invocation = INSERT_SCRIPT.key(&key);
        invocation.arg(size).arg(bit_count(&mask));
        for offset in bit_offsets(base, &mask) {
            invocation.arg(offset);
        }
        Op::new(
            Request::Script(invocation),
            |reply| match parse::<Vec<u8>>(reply)?.as_slice() {
                [p] => Ok(*p == 1),
                other => Err(RedisError::Reply(format!("insert answered {other:?}"))),
            },
        )
    }

    fn contains_op(&self, hash: u64) -> Op<'static, bool> {
        let (block, mask) = self.locator.locate(hash);
        let (key, base) = self.place(block);
        Op::new(Request::One(getrange(&key, base)), move |reply| {
            answer(&key, &parse::<Vec<u8>>(reply)?, &mask)
        })
    }

    fn insert_many_op<T: Hash>(&self, items: impl IntoIterator<Item = T>) -> Op<'_, Vec<bool>> {
        // Only items in one key can affect each other's answers, and each key's items go in
        // their order: the answers are those of a sequence of single inserts.
        self.batch(
            items,
            INSERT,
            |cmd, key| {
                cmd.arg(self.key_bytes(key));
            },
            |cmd, base, mask| {
                cmd.arg(bit_count(mask));
                for offset in bit_offsets(base, mask) {
                    cmd.arg(offset);
                }
            },
            |_, _, present: u8| Ok(present == 1),
        )
    }

    fn contains_many_op<T: Hash>(&self, items: impl IntoIterator<Item = T>) -> Op<'_, Vec<bool>> {
        if self.cluster {
            let head = self.key_head.clone();
            return self.batch(
                items,
                READ,
                |_, _| {},
                |cmd, base, _| {
                    cmd.arg(base);
                },
                move |key, mask, bytes: Vec<u8>| answer(&format!("{head}{key}}}"), &bytes, mask),
            );
        }
        // Native commands: a GETRANGE costs Redis a third of a script's redis.call.
        let mut keys = Vec::new();
        let mut masks = Vec::new();
        let mut commands = Vec::new();
        for item in items {
            let (block, mask) = self.locator.locate(self.hasher.hash_one(&item));
            let (key, base) = self.place(block);
            commands.push(getrange(&key, base));
            keys.push(key);
            masks.push(mask);
        }
        Op::new(Request::Many(commands), move |reply| {
            let replies: Vec<Vec<u8>> = parse(reply)?;
            keys.iter()
                .zip(&masks)
                .zip(replies)
                .map(|((key, mask), bytes)| answer(key, &bytes, mask))
                .collect()
        })
    }

    /// One `script` for each key `items` fall in, pipelined: its arguments are `key_args`' and
    /// then `item_args`' for each of the key's items (their block's first byte in the key, and
    /// their mask); it answers one `R` an item, which `answer` (given the key and the item's
    /// mask) turns into the item's answer, in the items' order.
    fn batch<'a, R, T, A>(
        &'a self,
        items: impl IntoIterator<Item = T>,
        script: &str,
        key_args: impl Fn(&mut redis::Cmd, u64),
        item_args: impl Fn(&mut redis::Cmd, u64, &[u64; 8]),
        answer: impl Fn(u64, &[u64; 8], R) -> Result<A, RedisError> + Send + 'a,
    ) -> Op<'a, Vec<A>>
    where
        R: redis::FromRedisValue,
        T: Hash,
        A: Default + Clone + Send + 'a,
    {
        let located: Vec<(u64, [u64; 8])> = items
            .into_iter()
            .map(|item| self.locator.locate(self.hasher.hash_one(&item)))
            .collect();
        let by_key = self.by_key(&located);
        let commands = by_key
            .iter()
            .map(|(key, members)| {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(script).arg(1).arg(self.key_name(*key));
                key_args(&mut cmd, *key);
                for &i in members {
                    let (block, mask) = &located[i];
                    item_args(&mut cmd, (block % self.blocks_per_key) * 64, mask);
                }
                cmd
            })
            .collect();
        Op::new(Request::Many(commands), move |reply| {
            let replies: Vec<redis::Value> = parse(reply)?;
            let mut out = vec![A::default(); located.len()];
            for ((key, members), reply) in by_key.into_iter().zip(replies) {
                let answers: Vec<R> = parse(reply)?;
                if answers.len() != members.len() {
                    return Err(RedisError::Reply(format!(
                        "{} answers for {} items",
                        answers.len(),
                        members.len()
                    )));
                }
                for (i, r) in members.into_iter().zip(answers) {
                    out[i] = answer(key, &located[i].1, r)?;
                }
            }
            Ok(out)
        })
    }

    /// The indices of `located` grouped by the key their block is in, in order within each key.
    fn by_key(&self, located: &[(u64, [u64; 8])]) -> Vec<(u64, Vec<usize>)> {
        let mut order: Vec<usize> = (0..located.len()).collect();
        // Stable: a key's items keep their order.
        order.sort_by_key(|&i| located[i].0 / self.blocks_per_key);
        let mut by_key: Vec<(u64, Vec<usize>)> = Vec::new();
        for i in order {
            let key = located[i].0 / self.blocks_per_key;
            match by_key.last_mut() {
                Some((k, members)) if *k == key => members.push(i),
                _ => by_key.push((key, vec![i])),
            }
        }
        by_key
    }

    fn clear_op(&self) -> Op<'static, ()> {
        let commands = (0..self.keys)
            .map(|key| redis::cmd("DEL").arg(self.key_name(key)).clone())
            .collect();
        Op::new(Request::Many(commands), |_| Ok(()))
    }

    fn download_request(&self, key: u64) -> Request {
        Request::One(redis::cmd("GET").arg(self.key_name(key)).clone())
    }

    /// Copies key `key`'s bytes (absent: zeros) into `filter`.
    fn fill_key(
        &self,
        filter: &mut BlockedBloomFilter<S>,
        key: u64,
        reply: redis::Value,
    ) -> Result<(), RedisError> {
        let Some(bytes) = parse::<Option<Vec<u8>>>(reply)? else {
            return Ok(());
        };
        let size = self.key_bytes(key);
        if bytes.len() as u64 != size {
            return Err(RedisError::Foreign(format!(
                "{} holds {} bytes, not {size}",
                self.key_name(key),
                bytes.len()
            )));
        }
        filter.fill_blocks((key * self.blocks_per_key) as usize, &bytes);
        Ok(())
    }

    fn check_upload(&self, filter: &BlockedBloomFilter<S>) -> Result<(), RedisError> {
        let ours = (self.params, self.hasher.tag());
        let theirs = (filter.params(), filter.hasher().tag());
        if ours != theirs {
            return Err(RedisError::Mismatch(format!(
                "uploading (params, hasher tag) {theirs:?} into {ours:?}"
            )));
        }
        Ok(())
    }

    fn upload_request(&self, filter: &BlockedBloomFilter<S>, key: u64) -> Request {
        let first = (key * self.blocks_per_key) as usize;
        let blocks = first..first + (self.key_bytes(key) / 64) as usize;
        let mut invocation = UPLOAD_SCRIPT.key(self.key_name(key));
        invocation.arg(filter.block_bytes(blocks));
        Request::Script(invocation)
    }

    /// The shape: bits (whole blocks) and k, as the in-process filter of these parameters.
    ///
    /// Computes in **O(1)** time.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The Redis keys that hold the bits, and the bytes they hold once every key has had an
    /// insert.
    ///
    /// Computes in **O(1)** time.
    pub fn layout(&self) -> (u64, u64) {
        (self.keys, self.params.bits / 8)
    }

    /// The name of key `i` (of [`layout`](Self::layout)'s count): for `MEMORY USAGE`, backups,
    /// or a cluster's slot plan.
    ///
    /// Computes in **O(1)** time (one short string).
    pub fn key_name(&self, i: u64) -> String {
        format!("{}{i}}}", self.key_head)
    }

    /// The hasher.
    ///
    /// Computes in **O(1)** time.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }
}

/// `GETRANGE` of the 64-byte block at byte `base` of `key`.
fn getrange(key: &str, base: u64) -> redis::Cmd {
    redis::cmd("GETRANGE")
        .arg(key)
        .arg(base)
        .arg(base + 63)
        .clone()
}

/// Whether a block read back as `bytes` holds every bit of `mask`: an absent key reads as no
/// bytes (nothing inserted there yet); any length but 0 and 64 is not this filter's key.
fn answer(key: &str, bytes: &[u8], mask: &[u64; 8]) -> Result<bool, RedisError> {
    match <&[u8; 64]>::try_from(bytes) {
        Ok(line) => {
            let words = BlockedBloomFilter::<DefaultBuildHasher>::block_of(line);
            Ok(words.iter().zip(mask).all(|(w, m)| w & m == *m))
        }
        Err(_) if bytes.is_empty() => Ok(false),
        Err(_) => Err(RedisError::Foreign(format!(
            "{key} answered {} bytes for a 64-byte block",
            bytes.len()
        ))),
    }
}

/// The bits of an item's mask (k, less any two of its bits that coincide).
fn bit_count(mask: &[u64; 8]) -> u32 {
    mask.iter().map(|w| w.count_ones()).sum()
}

/// Redis bit offsets (`SETBIT` numbers each byte's bits from its most significant) of the bits
/// of `mask` in the block at byte `base`, whose words are stored little-endian: bit j of word
/// w is bit j mod 8 (from the least significant) of byte 8w + j/8.
fn bit_offsets(base: u64, mask: &[u64; 8]) -> impl Iterator<Item = u64> + '_ {
    mask.iter().enumerate().flat_map(move |(w, &word)| {
        (0..64u64)
            .filter(move |j| word >> j & 1 == 1)
            .map(move |j| {
                let byte = base + 8 * w as u64 + j / 8;
                byte * 8 + (7 - j % 8)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets name exactly the mask's bits, in the byte and bit order Redis uses.
    #[test]
    fn bit_offsets_follow_the_wire_layout() {
        let mut mask = [0u64; 8];
        mask[0] = 1; // word 0, bit 0: byte 0, least significant bit: Redis bit 7
        mask[1] = 1 << 9; // word 1, bit 9: byte 9, bit 1: Redis bit 9·8 + 6
        mask[7] = 1 << 63; // word 7, bit 63: byte 63, most significant bit: Redis bit 63·8
        let got: Vec<u64> = bit_offsets(128, &mask).collect();
        assert_eq!(got, vec![128 * 8 + 7, (128 + 9) * 8 + 6, (128 + 63) * 8]);
    }
}
