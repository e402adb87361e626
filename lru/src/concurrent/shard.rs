//! One shard of the concurrent cache: a W-TinyLFU policy over a dense slab.
//!
//! Readers hold the shard's read lock, so they cannot relink entries. A hit only bumps the
//! entry's `uses` counter (an `AtomicU8`, 0..=15). The policy, which runs under the write
//! lock on inserts, reads those counters where it looks: an entry at the old end of a queue
//! that was used since the policy last saw it gets a second chance (it moves to the new end,
//! or from probation to protected), and its uses go into the frequency sketch then. That
//! makes each queue a CLOCK approximation of the LRU list W-TinyLFU specifies, and keeps
//! every write off the read path except one byte per entry.

use super::refresh::Refresh;
use super::sketch::FrequencySketch;
use super::{Loading, Removed};
use crate::RemovalCause;
use crate::alloc::Refused;
use crate::store::{NEVER, NIL};
use crate::sync::{AtomicU8, AtomicU64, Ordering};
use hashbrown::HashTable;
use std::borrow::Borrow;

/// The admission window: new keys start here.
pub(crate) const WINDOW: u8 = 0;
/// The main space's probation segment: where victims come from.
pub(crate) const PROBATION: u8 = 1;
/// The main space's protected segment: entries used again while on probation.
pub(crate) const PROTECTED: u8 = 2;

/// Uses recorded per entry between two visits of the policy; the sketch's counters stop at 15.
pub(crate) const MAX_USES: u8 = 15;
/// Caffeine's window starts at 1 % of the capacity, and 80 % of the main space is protected.
const MAIN_SHARE: f64 = 0.99;
const PROTECTED_SHARE: f64 = 0.80;
/// Candidates whose frequency is at least this are admitted against a stronger victim with
/// probability 1/128, so an attacker cannot pin a victim by inflating its count (Caffeine).
const JITTER_THRESHOLD: u8 = 6;
/// The window moves by 1/64 of its size (at least one unit) per signal: growth and shrinkage
/// are geometric, so a shard crosses from a 1 % window to a 99 % one in a few hundred signals
/// whatever its capacity. With one unit per signal, create-then-read traffic spent most of a
/// trace growing the window (7–15 points below LRU at 5–25 %).
const STEP_SHIFT: u32 = 6;
/// A refused candidate counts as evidence for a larger window if it comes back within half a
/// probation segment's worth of window exits: the window would have held it had it been that
/// much larger. (The whole segment grew the window on Zipf traffic by as much as 6 points of
/// hit ratio at 1 %.)
const GHOST_SPAN_SHIFT: u32 = 1;
/// One probation entry in 2^RESCUE_SHIFT found used when the victim scan reaches it shrinks the
/// window. Such an entry would have been lost with a smaller main space, but a use in
/// probation is often one the window would have served too; counted every time, these
/// signals held create-then-read traffic 5–16 points below LRU.
const RESCUE_SHIFT: u32 = 2;
/// At most this many entries move between window and main per adjustment.
const TRANSFER_LIMIT: usize = 1000;
/// A shard's clock for the recency rule ticks once per 1/2^EPOCH_SHIFT of its capacity
/// inserted: fine enough to place a use within a pass of the window. A reader writes the
/// stamp only with a use it counts, so a saturated hot entry's hit writes nothing (stamping
/// every hit cost 5 % of a get hit). With 64 ticks a pass, the byte wraps only after four
/// passes.
const EPOCH_SHIFT: u32 = 6;

/// One resident entry: 16 bytes besides the key and value, so a `u64 → u64` entry is 32
/// bytes, two per cache line. Expiry times and weights live in side arrays, allocated only
/// when the cache has them.
pub(crate) struct Entry<K, V> {
    pub(crate) key: K,
    pub(crate) value: V,
    /// The low 32 bits of the key's hash: enough to rebuild its table hash (see
    /// [`table_hash`]) and to place it in the sketch.
    tag: u32,
    prev: u32,
    next: u32,
    queue: u8,
    /// Uses since the policy last looked: in the entry, so a hit touches one cache line.
    uses: AtomicU8,
    /// The shard's epoch at the last use counted in `uses` (see [`Shard::forgets`]).
    seen: AtomicU8,
    /// Beat a candidate at admission since the policy last found it used: if it is used
    /// before it next comes up as the victim, the main space's margin was worth keeping.
    spared: bool,
}

#[derive(Debug, Clone, Copy)]
struct Queue {
    /// The oldest entry: the next to leave.
    head: u32,
    /// The newest entry.
    tail: u32,
    weight: u64,
}

const EMPTY: Queue = Queue {
    head: NIL,
    tail: NIL,
    weight: 0,
};

/// Counters kept under the write lock (hits and misses are atomics beside the lock).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) insertions: u64,
    pub(crate) replacements: u64,
    pub(crate) evictions: u64,
    pub(crate) expirations: u64,
    pub(crate) removals: u64,
    pub(crate) rejections: u64,
}

/// Entries a shard reserves room for up front at most; past that its arrays grow as it fills.
const PREALLOCATED: u64 = 1 << 12;

pub(crate) struct Shard<K, V> {
    table: HashTable<u32>,
    pub(crate) entries: Vec<Entry<K, V>>,
    /// Last access time, parallel to `entries`; empty without a time to idle.
    touched: Vec<AtomicU64>,
    /// Expiry time of each entry in clock nanoseconds, parallel to `entries`; empty until an
    /// entry that can expire arrives.
    expires: Vec<u64>,
    /// Weight of each entry, parallel to `entries`; empty when every entry weighs 1.
    weights: Vec<u32>,
    /// Whether every entry weighs 1 (the unit weigher).
    unit: bool,
    queues: [Queue; 3],
    pub(crate) weight: u64,
    pub(crate) capacity: u64,
    window_max: u64,
    protected_max: u64,
    sketch: FrequencySketch,
    /// Recently evicted keys, which steer the window's size.
    ghost: Ghost,
    /// Probation entries found used by the victim scan (see [`RESCUE_SHIFT`]).
    rescues: u64,
    /// Nanoseconds of idleness after which an entry expires (`NEVER`: no time to idle).
    tti: u64,
    pub(crate) counters: Counters,
    /// xorshift state for the admission jitter; seeded per shard, so replays repeat.
    rng: u64,
    /// Keys being loaded by `get_or_insert_with`, with the flight their waiters wait on.
    pub(crate) loading: Vec<Loading<K, V>>,
    /// Write times and reloads, parallel to `entries`; used only when the cache refreshes.
    pub(crate) refresh: Vec<Refresh<K, V>>,
    /// Whether the cache refreshes entries (and so keeps `refresh`).
    refreshing: bool,
    /// Whether the shard follows recency (the window spans the capacity and admission always
    /// takes the candidate) instead of its adaptive frequency rule: see [`super::duel`].
    recency: bool,
    /// The adaptive window's size when the shard turned to recency, restored when it turns back.
    adaptive_window: u64,
    /// The clock readers stamp uses with: it ticks every `epoch_len` units of weight inserted.
    epoch: u8,
    /// Weight inserted since the epoch last ticked.
    epoch_fill: u64,
    epoch_len: u64,
    /// The id of the next load registered here.
    pub(crate) next_load: u64,
}

/// Which part of the shard an evicted key left.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    /// A candidate refused by admission, or the window's oldest in a shard with no main space.
    Window = 0,
    /// A main-space victim that lost to a candidate.
    Main = 1,
}

/// The tags of recent evictions, one slot per tag (direct-mapped: a collision forgets the
/// older one), with each side's eviction count at the time, so a slot knows its age in that
/// side's evictions. A miss on a key the window let go recently says the window is too small
/// (ARC's and S3-FIFO's ghost queues); a miss on one the main space let go, that it is too
/// large. 8 bytes per slot, a slot per two entries of capacity; like the entries, the slots grow as
/// the shard fills, so an empty cache holds little whatever its capacity.
struct Ghost {
    /// `tag << 32 | side << 31 | sequence` (31 bits), or 0.
    slots: Vec<u64>,
    shift: u32,
    /// The most slots this shard's capacity calls for.
    target: u64,
    /// Evictions so far from each side, modulo 2^31.
    seq: [u32; 2],
}

const SEQ_MASK: u32 = 0x7FFF_FFFF;

impl Ghost {
    fn new(entries: u64) -> Result<Self, Refused> {
        // A slot per two entries of capacity: a ghost hit counts only within half the
        // probation segment (at most a tenth of the capacity) of evictions from either side.
        let target = (entries / 2).clamp(64, 1 << 30).next_power_of_two();
        let len = target.min(PREALLOCATED);
        let mut slots = crate::alloc::vec_with_capacity(len)?;
        slots.resize(len as usize, 0);
        Ok(Self {
            slots,
            shift: 64 - len.trailing_zeros(),
            target,
            seq: [0; 2],
        })
    }

    /// Doubles the slots (keeping what they remember) while the shard holds more entries than
    /// there are slots. A refused allocation keeps the smaller table: it only forgets sooner.
    #[inline]
    fn fit(&mut self, resident: usize) {
        if resident > self.slots.len() && (self.slots.len() as u64) < self.target {
            self.grow(resident);
        }
    }

    #[cold]
    fn grow(&mut self, resident: usize) {
        while resident > self.slots.len() && (self.slots.len() as u64) < self.target {
            let len = self.slots.len() as u64 * 2;
            let Ok(mut grown) = crate::alloc::vec_with_capacity::<u64>(len) else {
                return;
            };
            grown.resize(len as usize, 0);
            let old = std::mem::replace(&mut self.slots, grown);
            self.shift -= 1;
            for v in old.into_iter().filter(|&v| v != 0) {
                let at = self.slot((v >> 32) as u32);
                self.slots[at] = v;
            }
        }
    }

    /// The tag's slot: the table and sketch use other bits of the hash, so scatter the tag.
    fn slot(&self, tag: u32) -> usize {
        ((u64::from(tag) | 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn record(&mut self, tag: u32, side: Side) {
        let s = side as usize;
        self.seq[s] = self.seq[s].wrapping_add(1) & SEQ_MASK;
        let at = self.slot(tag);
        self.slots[at] = (u64::from(tag) << 32) | ((s as u64) << 31) | u64::from(self.seq[s]);
    }

    /// The side `tag` left within its last `span` evictions, if it did; forgets it.
    fn take(&mut self, tag: u32, span: u64) -> Option<Side> {
        let at = self.slot(tag);
        let v = self.slots[at];
        if v == 0 || (v >> 32) as u32 != tag {
            return None;
        }
        self.slots[at] = 0;
        let side = if (v >> 31) & 1 == 0 {
            Side::Window
        } else {
            Side::Main
        };
        let age = self.seq[side as usize].wrapping_sub(v as u32 & SEQ_MASK) & SEQ_MASK;
        (u64::from(age) < span.min(self.slots.len() as u64)).then_some(side)
    }
}

/// The outcome of a lookup: the entry's index, and whether it is live.
pub(crate) enum Found {
    Live(u32),
    Expired(u32),
    Absent,
}

impl<K, V> Shard<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

impl<K: Eq, V> Shard<K, V> {
    pub(crate) fn new(
        capacity: u64,
        entries_hint: u64,
        tti: Option<u64>,
        unit: bool,
        refreshing: bool,
        seed: u64,
    ) -> Result<Self, Refused> {
        let window_max = capacity - (capacity as f64 * MAIN_SHARE) as u64;
        let protected_max = ((capacity - window_max) as f64 * PROTECTED_SHARE) as u64;
        // One more than the capacity: an insert pushes before it evicts, and a `Vec` that
        // overflows by one doubles. Larger shards grow as they fill, so an empty cache holds
        // little whatever its capacity.
        let prealloc = entries_hint.min(PREALLOCATED) + 1;
        let entries = crate::alloc::vec_with_capacity(prealloc)?;
        let mut table = HashTable::new();
        // No entries yet, so the rehash hasher is never called.
        table
            .try_reserve(prealloc as usize, |&j: &u32| u64::from(j))
            .map_err(|_| Refused {
                bytes: prealloc.saturating_mul(size_of::<u32>() as u64 + 1),
            })?;
        Ok(Self {
            table,
            entries,
            touched: Vec::new(),
            expires: Vec::new(),
            weights: Vec::new(),
            unit,
            queues: [EMPTY; 3],
            weight: 0,
            capacity,
            window_max,
            protected_max,
            sketch: FrequencySketch::new(entries_hint)?,
            tti: tti.unwrap_or(NEVER),
            counters: Counters::default(),
            ghost: Ghost::new(entries_hint)?,
            rescues: 0,
            rng: seed | 1,
            loading: Vec::new(),
            next_load: 0,
            refresh: Vec::new(),
            refreshing,
            recency: false,
            adaptive_window: window_max,
            epoch: 0,
            epoch_fill: 0,
            epoch_len: (capacity >> EPOCH_SHIFT).max(1),
        })
    }

    #[inline]
    pub(crate) fn find<Q>(&self, hash: u64, key: &Q) -> Option<u32>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let entries = &self.entries;
        self.table
            .find(table_hash(hash as u32), |&i| {
                entries[i as usize].key.borrow() == key
            })
            .copied()
    }

    #[inline(always)]
    pub(crate) fn weight_of(&self, i: u32) -> u64 {
        if self.unit {
            1
        } else {
            u64::from(self.weights[i as usize])
        }
    }

    #[inline]
    pub(crate) fn is_expired(&self, i: u32, now: u64) -> bool {
        self.expires.get(i as usize).is_some_and(|&t| t <= now)
            || (self.tti != NEVER
                && now.saturating_sub(self.touched[i as usize].load(Ordering::Relaxed)) >= self.tti)
    }

    /// Looks the key up as a reader would, without recording a use.
    #[inline]
    pub(crate) fn lookup<Q>(&self, hash: u64, key: &Q, now: u64) -> Found
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        match self.find(hash, key) {
            Some(i) if self.is_expired(i, now) => Found::Expired(i),
            Some(i) => Found::Live(i),
            None => Found::Absent,
        }
    }

    /// Whether entry `i`'s value was written at least `age` ago and no reload of it is in
    /// flight: a read should start one (or install the one that landed).
    #[inline]
    pub(crate) fn wants_refresh(&self, i: u32, now: u64, age: u64) -> bool {
        let r = &self.refresh[i as usize];
        now.saturating_sub(r.written) >= age && !r.slot.as_ref().is_some_and(|s| s.is_pending())
    }

    /// Records a use by a reader (under the read lock): one byte, written only while it counts.
    #[inline(always)]
    pub(crate) fn touch(&self, i: u32, now: u64) {
        self.count_use(i);
        if self.tti != NEVER {
            self.touched[i as usize].store(now, Ordering::Relaxed);
        }
    }

    /// Whether the key with this hash is resident with its use byte saturated: another hit on
    /// it would change nothing here (the race's miniatures, keyed by hash, ask this).
    pub(crate) fn saturated(&self, hash: u64) -> bool
    where
        K: Borrow<u64>,
    {
        self.uses(hash).is_some_and(|n| n >= MAX_USES)
    }

    /// The use byte of the key with this hash, if it is resident.
    pub(crate) fn uses(&self, hash: u64) -> Option<u8>
    where
        K: Borrow<u64>,
    {
        self.find(hash, &hash)
            .map(|i| self.entries[i as usize].uses.load(Ordering::Relaxed))
    }

    /// [`uses`](Self::uses), and whether the last use counted was in the current epoch: all a
    /// hit can change in an entry.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn use_state(&self, hash: u64) -> Option<(u8, bool)>
    where
        K: Borrow<u64>,
    {
        self.find(hash, &hash).map(|i| {
            let e = &self.entries[i as usize];
            (
                e.uses.load(Ordering::Relaxed),
                e.seen.load(Ordering::Relaxed) == self.epoch,
            )
        })
    }

    /// The use byte and epoch stamp of [`touch`](Self::touch) alone, for caches where nothing
    /// idles out.
    #[inline(always)]
    pub(crate) fn count_use(&self, i: u32) {
        let e = &self.entries[i as usize];
        // Relaxed load-then-store: two readers may count one use between them; the counts
        // only steer the policy. A saturated hot entry's hit writes nothing: the stamp is that
        // of the last use counted, and a saturated entry needs none (see `forgets`).
        let n = e.uses.load(Ordering::Relaxed);
        if n < MAX_USES {
            e.uses.store(n + 1, Ordering::Relaxed);
            e.seen.store(self.epoch, Ordering::Relaxed);
        }
    }

    /// Whether the recency rule lets a used window entry go instead of sending it round
    /// again: its last use is more than half a pass of the window old. A CLOCK keeps a used
    /// entry a whole pass more, so an entry used just after it arrived stays up to twice as
    /// long as LRU would keep it; LRU keeps it a pass after the use. Of the two places a ring
    /// can put it, leaving now or a pass from now, this takes the one nearer LRU's. An entry
    /// whose `uses` since the hand last passed saturated is kept: it is in steady use, and its
    /// stamp, that of the last use counted, may be older than its last use.
    #[inline]
    fn forgets(&self, i: u32, uses: u8) -> bool {
        if !self.recency || uses >= MAX_USES {
            return false;
        }
        let age = self
            .epoch
            .wrapping_sub(self.entries[i as usize].seen.load(Ordering::Relaxed));
        u64::from(age) * self.epoch_len > self.window_max / 2
    }

    /// Moves the uses readers recorded into the sketch; returns how many there were.
    fn flush(&mut self, i: u32) -> u8 {
        let uses = &self.entries[i as usize].uses;
        let n = uses.load(Ordering::Relaxed);
        if n > 0 {
            uses.store(0, Ordering::Relaxed);
            let tag = self.entries[i as usize].tag;
            self.sketch.add(tag, n);
        }
        n
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, q) = {
            let e = &self.entries[i as usize];
            (e.prev, e.next, e.queue as usize)
        };
        self.repoint(q, prev, next, next, prev);
        self.queues[q].weight -= self.weight_of(i);
    }

    /// Points what stood before and after an entry of queue `q` (`prev`, `next`: entries or
    /// the queue's ends) at new successors and predecessors: at each other to unlink it, at a
    /// new index to move it.
    fn repoint(&mut self, q: usize, prev: u32, next: u32, prev_to: u32, next_to: u32) {
        if prev == NIL {
            self.queues[q].head = prev_to;
        } else {
            self.entries[prev as usize].next = prev_to;
        }
        if next == NIL {
            self.queues[q].tail = next_to;
        } else {
            self.entries[next as usize].prev = next_to;
        }
    }

    fn push_newest(&mut self, q: u8, i: u32) {
        let tail = self.queues[q as usize].tail;
        {
            let e = &mut self.entries[i as usize];
            e.prev = tail;
            e.next = NIL;
            e.queue = q;
        }
        if tail == NIL {
            self.queues[q as usize].head = i;
        } else {
            self.entries[tail as usize].next = i;
        }
        self.queues[q as usize].tail = i;
        self.queues[q as usize].weight += self.weight_of(i);
    }

    fn move_to(&mut self, q: u8, i: u32) {
        self.unlink(i);
        self.push_newest(q, i);
    }

    /// Inserts a new key or replaces a present one's value, then evicts down to the capacity.
    /// The caller has checked that `weight` fits in the shard.
    #[allow(clippy::too_many_arguments)] // one call site, each argument distinct
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        weight: u32,
        expires: u64,
        now: u64,
        out: &mut Removed<K, V>,
    ) {
        self.counters.insertions += 1;
        let mut fresh = NIL;
        if let Some(i) = self.find(hash, &key) {
            let expired = self.is_expired(i, now);
            let old = std::mem::replace(&mut self.entries[i as usize].value, value);
            let old_weight = self.weight_of(i);
            if !self.unit {
                self.weights[i as usize] = weight;
            }
            self.set_expiry(i, expires);
            let q = self.entries[i as usize].queue as usize;
            self.queues[q].weight = self.queues[q].weight - old_weight + u64::from(weight);
            self.weight = self.weight - old_weight + u64::from(weight);
            if self.tti != NEVER {
                self.touched[i as usize].store(now, Ordering::Relaxed);
            }
            if self.refreshing {
                // A new write supersedes any reload of the old value.
                self.refresh[i as usize] = Refresh {
                    written: now,
                    slot: None,
                };
            }
            if expired {
                // The old value had already expired: it leaves as expired, not as replaced.
                self.counters.expirations += 1;
                out.push(key, old, RemovalCause::Expired);
            } else {
                self.counters.replacements += 1;
                self.touch(i, now);
                out.push(key, old, RemovalCause::Replaced);
            }
        } else {
            let i = self.entries.len() as u32;
            let tag = hash as u32;
            self.adapt(tag, weight);
            self.entries.push(Entry {
                key,
                value,
                tag,
                prev: NIL,
                next: NIL,
                queue: WINDOW,
                uses: AtomicU8::new(0),
                seen: AtomicU8::new(self.epoch),
                spared: false,
            });
            if !self.unit {
                self.weights.push(weight);
            }
            if self.tti != NEVER {
                self.touched.push(AtomicU64::new(now));
            }
            if self.refreshing {
                self.refresh.push(Refresh {
                    written: now,
                    slot: None,
                });
            }
            if !self.expires.is_empty() {
                self.expires.push(NEVER);
            }
            self.set_expiry(i, expires);
            let entries = &self.entries;
            self.table
                .insert_unique(table_hash(tag), i, |&j| table_hash(entries[j as usize].tag));
            self.weight += u64::from(weight);
            self.push_newest(WINDOW, i);
            self.sketch.fit(self.entries.len());
            self.ghost.fit(self.entries.len());
            self.sketch.add(tag, 1);
            fresh = i;
            self.epoch_fill += u64::from(weight);
            if self.epoch_fill >= self.epoch_len {
                self.epoch_fill = 0;
                self.epoch = self.epoch.wrapping_add(1);
            }
        }
        self.evict(now, fresh, out);
    }

    /// Sets entry `i`'s expiry time, creating the side array on the first one that can expire.
    #[inline]
    fn set_expiry(&mut self, i: u32, expires: u64) {
        if self.expires.is_empty() {
            if expires == NEVER {
                return;
            }
            self.expires = vec![NEVER; self.entries.len()];
        }
        self.expires[i as usize] = expires;
    }

    /// Removes the entry at `i` (swapping the last entry into its slot) and returns it.
    pub(crate) fn remove_at(&mut self, i: u32) -> (K, V) {
        self.unlink(i);
        let tag = self.entries[i as usize].tag;
        self.table
            .find_entry(table_hash(tag), |&j| j == i)
            .expect("every entry is in the table")
            .remove();
        self.weight -= self.weight_of(i);
        let last = self.entries.len() as u32 - 1;
        if i != last {
            // The last entry moves into the hole: fix its neighbours, queue ends and table slot.
            let (prev, next, q, moved_tag) = {
                let e = &self.entries[last as usize];
                (e.prev, e.next, e.queue as usize, e.tag)
            };
            self.repoint(q, prev, next, i, i);
            *self
                .table
                .find_mut(table_hash(moved_tag), |&j| j == last)
                .expect("every entry is in the table") = i;
        }
        if !self.touched.is_empty() {
            self.touched.swap_remove(i as usize);
        }
        if self.refreshing {
            self.refresh.swap_remove(i as usize);
        }
        if !self.expires.is_empty() {
            self.expires.swap_remove(i as usize);
        }
        if !self.weights.is_empty() {
            self.weights.swap_remove(i as usize);
        }
        let e = self.entries.swap_remove(i as usize);
        (e.key, e.value)
    }

    /// Removes the entry at `i` for `cause`, counts it, and hands it to `out`.
    fn evict_to(&mut self, i: u32, cause: RemovalCause, out: &mut Removed<K, V>) {
        match cause {
            RemovalCause::Expired => self.counters.expirations += 1,
            RemovalCause::Removed => self.counters.removals += 1,
            RemovalCause::Replaced => self.counters.replacements += 1,
            RemovalCause::Size => self.counters.evictions += 1,
            RemovalCause::Rejected => self.counters.rejections += 1,
        }
        let (k, v) = self.remove_at(i);
        out.push(k, v, cause);
    }

    pub(crate) fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    /// W-TinyLFU's eviction: overflow of the window moves to probation as candidates; while
    /// the shard is over capacity, each candidate meets the oldest probation entry and the
    /// one the sketch counts less often leaves. `fresh` is the entry this insert added (`NIL`
    /// for a replacement).
    fn evict(&mut self, now: u64, mut fresh: u32, out: &mut Removed<K, V>) {
        // Window overflow: the oldest window entries become candidates, unless used since the
        // policy last looked (then they go back to the new end: the CLOCK's second chance).
        // Every eviction moves the slab's last entry into the hole, so `candidate` and `fresh`
        // follow it.
        let mut candidate = NIL;
        let mut candidates = 0usize;
        while self.queues[WINDOW as usize].weight > self.window_max {
            let i = self.queues[WINDOW as usize].head;
            if self.is_expired(i, now) {
                self.evict_to(i, RemovalCause::Expired, out);
                candidate = self.follow(candidate, i);
                fresh = self.follow(fresh, i);
                continue;
            }
            let uses = self.flush(i);
            if uses > 0 && !self.forgets(i, uses) {
                self.move_to(WINDOW, i);
                continue;
            }
            if i == fresh && self.queues[WINDOW as usize].tail != i {
                // Every older window entry was used and went round: the key being inserted
                // would be offered before any of them. W-TinyLFU's window offers its oldest
                // entry, never the newest, so it goes round once too, and the oldest of the
                // others, its use just cleared, is the candidate.
                fresh = NIL;
                self.move_to(WINDOW, i);
                continue;
            }
            self.move_to(PROBATION, i);
            if candidate == NIL {
                candidate = i;
            }
            candidates += 1;
        }
        while self.weight > self.capacity {
            match (candidate, self.find_victim(candidate, candidates, now)) {
                (c, Victim::Expired(v)) => {
                    self.evict_to(v, RemovalCause::Expired, out);
                    candidate = self.follow(c, v);
                }
                (NIL, Victim::None) => {
                    // Only window entries are left (a tiny shard): the oldest goes.
                    let i = self.queues[WINDOW as usize].head;
                    self.haunt(i, Side::Window);
                    self.evict_to(i, RemovalCause::Size, out);
                }
                (NIL, Victim::Live(v)) => {
                    self.haunt(v, Side::Main);
                    self.evict_to(v, RemovalCause::Size, out);
                }
                (c, victim) => {
                    let admitted = match victim {
                        Victim::Live(v) => {
                            let admitted = self.admit(c, v);
                            if !admitted {
                                self.entries[v as usize].spared = true;
                            }
                            admitted.then_some(v)
                        }
                        _ => None,
                    };
                    if let Some(v) = admitted {
                        self.haunt(v, Side::Main);
                        self.evict_to(v, RemovalCause::Size, out);
                        candidate = self.follow(c, v);
                    } else {
                        let next = self.entries[c as usize].next;
                        candidates -= 1;
                        self.haunt(c, Side::Window);
                        self.evict_to(c, RemovalCause::Size, out);
                        candidate = if candidates == 0 {
                            NIL
                        } else {
                            self.follow(next, c)
                        };
                    }
                }
            }
        }
    }

    /// After the entry at `removed` was evicted, the slab's former last entry lives there:
    /// the index to use now for the entry that was at `i`.
    fn follow(&self, i: u32, removed: u32) -> u32 {
        if i == self.entries.len() as u32 {
            removed
        } else {
            i
        }
    }

    /// The main space's next victim: the oldest probation entry that is not one of this
    /// round's candidates and was not used since the policy last looked (used ones are
    /// promoted to protected instead), else the oldest unused protected entry. An expired
    /// entry met on the way is returned as such.
    fn find_victim(&mut self, candidate: u32, candidates: usize, now: u64) -> Victim {
        loop {
            let v = self.queues[PROBATION as usize].head;
            if v == NIL || (candidates > 0 && v == candidate) {
                break;
            }
            if self.is_expired(v, now) {
                return Victim::Expired(v);
            }
            if self.flush(v) > 0 {
                self.rescued(v);
                self.move_to(PROTECTED, v);
                self.demote_protected();
                continue;
            }
            return Victim::Live(v);
        }
        // Probation holds only candidates: the protected segment gives its oldest.
        loop {
            let v = self.queues[PROTECTED as usize].head;
            if v == NIL {
                return Victim::None;
            }
            if self.is_expired(v, now) {
                return Victim::Expired(v);
            }
            if self.flush(v) > 0 {
                self.move_to(PROTECTED, v);
                continue;
            }
            return Victim::Live(v);
        }
    }

    /// Moves the oldest protected entries back to probation while protected is over its share.
    fn demote_protected(&mut self) {
        while self.queues[PROTECTED as usize].weight > self.protected_max {
            let i = self.queues[PROTECTED as usize].head;
            // A used entry gets a second chance; flushing zeroes its uses, so it leaves the
            // next time it comes round, and the loop ends.
            if self.flush(i) > 0 {
                self.move_to(PROTECTED, i);
                continue;
            }
            self.move_to(PROBATION, i);
        }
    }

    /// TinyLFU's admission test: does the candidate replace the victim? The candidate's count
    /// includes the request that inserted it; the test compares what came before, so a key
    /// seen for the first time never displaces a resident, even one whose count decayed to 0.
    /// (Caffeine compares the counts as they are; on the 15 shared traces this rule raised the
    /// mean hit ratio at 5, 10 and 25 % of the keys by 0.6–0.9 points, and on a loop larger
    /// than the cache it keeps a fixed set resident instead of churning.)
    fn admit(&mut self, candidate: u32, victim: u32) -> bool {
        if self.recency {
            return true;
        }
        let c = self.sketch.frequency(self.entries[candidate as usize].tag);
        let v = self.sketch.frequency(self.entries[victim as usize].tag);
        if c.saturating_sub(1) > v {
            true
        } else if c < JITTER_THRESHOLD {
            false
        } else {
            self.next_random() & 127 == 0
        }
    }

    /// Remembers that entry `i` is being evicted from `side`.
    fn haunt(&mut self, i: u32, side: Side) {
        let tag = self.entries[i as usize].tag;
        self.ghost.record(tag, side);
    }

    /// A new key arrives: if the window refused it recently, the window grows; if the main
    /// space evicted it recently, the window shrinks.
    fn adapt(&mut self, tag: u32, weight: u32) {
        if self.recency {
            return;
        }
        let span = (self.queues[PROBATION as usize].weight >> GHOST_SPAN_SHIFT).max(1);
        match self.ghost.take(tag, span) {
            Some(Side::Window) => self.grow_window(self.step() * u64::from(weight)),
            Some(Side::Main) => self.shrink_window(self.step() * u64::from(weight)),
            None => {}
        }
    }

    /// Probation entry `v` was used before the victim scan reached it: the main space kept
    /// something worth keeping. Always when admission had spared it, else one time in
    /// 2^[`RESCUE_SHIFT`].
    fn rescued(&mut self, v: u32) {
        if self.recency {
            return;
        }
        self.rescues += 1;
        let spared = std::mem::take(&mut self.entries[v as usize].spared);
        if spared || self.rescues.trailing_zeros() >= RESCUE_SHIFT {
            self.shrink_window(self.step());
        }
    }

    /// How far one signal moves the window: 1/2^[`STEP_SHIFT`] of it, at least one unit.
    fn step(&self) -> u64 {
        (self.window_max >> STEP_SHIFT).max(1)
    }

    /// The protected segment's share of the main space, kept whatever the window's size.
    fn protected_for(&self, window_max: u64) -> u64 {
        ((self.capacity - window_max) as f64 * PROTECTED_SHARE) as u64
    }

    /// Moves `by` units of capacity from the main space to the window (the window keeps the
    /// main space at least one unit, so admission still has a victim to weigh).
    fn grow_window(&mut self, by: u64) {
        let quota = by.min(self.capacity.saturating_sub(self.window_max + 1));
        if quota == 0 {
            return;
        }
        self.window_max += quota;
        self.protected_max = self.protected_for(self.window_max);
        self.demote_protected();
        let mut moved = 0;
        for _ in 0..TRANSFER_LIMIT {
            if moved >= quota {
                break;
            }
            let mut i = self.queues[PROBATION as usize].head;
            if i == NIL {
                i = self.queues[PROTECTED as usize].head;
            }
            if i == NIL {
                break;
            }
            moved += self.weight_of(i);
            self.move_to(WINDOW, i);
        }
    }

    /// Moves `by` units of capacity from the window to the main space (the window keeps one).
    fn shrink_window(&mut self, by: u64) {
        let quota = by.min(self.window_max.saturating_sub(1));
        if quota == 0 {
            return;
        }
        self.window_max -= quota;
        self.protected_max = self.protected_for(self.window_max);
        let mut moved = 0;
        for _ in 0..TRANSFER_LIMIT {
            if moved >= quota {
                break;
            }
            let i = self.queues[WINDOW as usize].head;
            if i == NIL {
                break;
            }
            moved += self.weight_of(i);
            self.move_to(PROBATION, i);
        }
    }

    /// Turns the shard to recency (`true`: the window grows over the whole capacity) or back
    /// to its adaptive rule (the window returns to the size it had). Entries move between
    /// window and main a bounded number at a time; the rest follow as they come up for eviction.
    pub(crate) fn set_recency(&mut self, recency: bool) {
        if recency == self.recency {
            return;
        }
        self.recency = recency;
        if recency {
            self.adaptive_window = self.window_max;
            self.grow_window(self.capacity);
        } else {
            self.shrink_window(self.window_max.saturating_sub(self.adaptive_window));
        }
    }

    /// Evicts every expired entry; returns how many.
    pub(crate) fn purge_expired(&mut self, now: u64, out: &mut Removed<K, V>) -> usize {
        let mut purged = 0;
        let mut i = 0;
        while i < self.entries.len() as u32 {
            if self.is_expired(i, now) {
                // The last entry moves into slot i: look at i again.
                self.evict_to(i, RemovalCause::Expired, out);
                purged += 1;
            } else {
                i += 1;
            }
        }
        purged
    }

    /// Removes the entries `keep` refuses (and expired ones, as expired).
    pub(crate) fn retain(
        &mut self,
        now: u64,
        keep: &mut impl FnMut(&K, &V) -> bool,
        out: &mut Removed<K, V>,
    ) {
        let mut i = 0;
        while i < self.entries.len() as u32 {
            if self.is_expired(i, now) {
                self.evict_to(i, RemovalCause::Expired, out);
            } else if keep(
                &self.entries[i as usize].key,
                &self.entries[i as usize].value,
            ) {
                i += 1;
            } else {
                self.evict_to(i, RemovalCause::Removed, out);
            }
        }
    }

    /// The entries not expired at `now`, in slab order.
    pub(crate) fn iter_live(&self, now: u64) -> impl Iterator<Item = (&K, &V)> + '_ {
        (0..self.entries.len() as u32)
            .filter(move |&i| !self.is_expired(i, now))
            .map(|i| {
                let e = &self.entries[i as usize];
                (&e.key, &e.value)
            })
    }

    /// Removes every entry (reported as removed) and forgets the sketch's counts.
    pub(crate) fn clear(&mut self, out: &mut Removed<K, V>) {
        self.counters.removals += self.entries.len() as u64;
        self.table.clear();
        self.touched.clear();
        self.refresh.clear();
        self.expires.clear();
        self.weights.clear();
        self.queues = [EMPTY; 3];
        self.weight = 0;
        self.sketch.clear();
        for e in self.entries.drain(..) {
            out.push(e.key, e.value, RemovalCause::Removed);
        }
    }

    /// Debug check of every invariant: links, queue weights, table, and the capacity.
    pub(crate) fn check(&self) {
        let mut seen = 0;
        let mut total = 0;
        for q in 0..3u8 {
            let mut i = self.queues[q as usize].head;
            let mut prev = NIL;
            let mut weight = 0;
            while i != NIL {
                let e = &self.entries[i as usize];
                assert_eq!(e.queue, q);
                assert_eq!(e.prev, prev);
                weight += self.weight_of(i);
                seen += 1;
                prev = i;
                i = e.next;
            }
            assert_eq!(self.queues[q as usize].tail, prev);
            assert_eq!(self.queues[q as usize].weight, weight);
            total += weight;
        }
        assert_eq!(seen, self.entries.len());
        assert_eq!(self.table.len(), self.entries.len());
        if self.refreshing {
            assert_eq!(self.refresh.len(), self.entries.len());
        }
        assert_eq!(total, self.weight);
        assert!(
            self.weight <= self.capacity,
            "{} > {}",
            self.weight,
            self.capacity
        );
        for (i, e) in self.entries.iter().enumerate() {
            assert_eq!(self.find_index(e.tag, i as u32), Some(i as u32));
        }
        assert!(self.expires.is_empty() || self.expires.len() == self.entries.len());
        assert_eq!(
            self.weights.len(),
            if self.unit { 0 } else { self.entries.len() }
        );
    }

    fn find_index(&self, tag: u32, i: u32) -> Option<u32> {
        self.table.find(table_hash(tag), |&j| j == i).copied()
    }
}

/// The hash the table files an entry under, rebuilt from the 32 bits the entry keeps: the
/// table takes its bucket from the low bits and its 7-bit tag from the top ones, so both halves
/// carry the key hash's low 32 bits (which are uniform, like all of it).
#[inline(always)]
fn table_hash(tag: u32) -> u64 {
    (u64::from(tag) << 32) | u64::from(tag)
}

/// What `find_victim` found.
enum Victim {
    None,
    Live(u32),
    Expired(u32),
}
