//! Which eviction rule the shards follow, decided by racing both on a sample of the traffic.
//!
//! W-TinyLFU's frequency test wins where popularity is stable and loses where it is not: a key
//! read once soon after it was written, a popularity that moves faster than the sketch ages,
//! a reuse distance longer than the window. No single window size or admission rule is right
//! for all of those, and a rule tuned on one corpus fails on the next. So the cache does not
//! guess: it keeps two miniature caches of half a default shard ([`MINI_CAPACITY`]), fed the
//! same spatial sample of the keys (a key is in the sample when its hash is, so a sampled key
//! is seen on every request, and a cache of `capacity · rate` on the sampled stream hits
//! about as often as the whole cache on the whole stream: Waldspurger et al., "Efficient MRC
//! Construction with SHARDS", FAST 2015). One runs the shards' adaptive W-TinyLFU, the other
//! the same structure with the window over the whole capacity, which is a CLOCK over recency
//! (LRU's hit ratio within 0.6 point on the corpus but in one case: see the crate docs).
//! Their difference in hits, a lead that decays by a sixteenth each period, sets the rule of
//! every shard whenever it passes a margin (so a tie does not flap): at the read that takes it
//! past, not at the period's end, so a change of traffic is followed as soon as it has undone
//! what the earlier periods built. Before the first period ends with a rule past the margin,
//! a second pair at half the size, modelling the cache at half its capacity and so evicting
//! after half the requests, gives the first evidence: the shards follow whichever rule leads
//! there so far. The pair is dropped at that first decision.
//!
//! The real cache therefore hits about as often as the better of the two on the traffic it
//! actually sees, at the cost of miniature replays for the sampled requests: with capacity
//! `c`, a key in `c / MINI_CAPACITY` is sampled (every one below that size). Requests are not
//! keys: a hot key in the sample would send a large share of all reads through the
//! miniatures' one mutex, so a read that could change no miniature (the key the last replay
//! left resident and saturated in all of them) skips it.

use super::Removed;
use super::shard::{Found, Shard};
use crate::store::NEVER;
use crate::sync::{AtomicU8, AtomicU64, Mutex, Ordering};

/// Capacity of each miniature cache: half the smallest default shard. A miniature then sees
/// a shard's share of the traffic or half of it, and settles as a shard does; 1,024 hit
/// within 0.1 point of this on the corpus while sampling twice as many requests. The early
/// pair is half this size. (Measured on the synthetic corpus and the shared traces, three
/// hash seeds and the report's length: with no early pair, deciding early from this one, 18
/// misses of the per-trace targets (a point below LRU, or less with more memory); with half
/// size miniatures only, 16, but `lirs-sprite` at 10 % falls 1.4 below LRU; with the early
/// pair, 13.)
pub(crate) const MINI_CAPACITY: u64 = 512;
/// Sampled reads per period of the lead's decay, in multiples of the miniature capacity.
const PERIOD_FACTOR: u64 = 2;
/// The lead keeps 1 − 2^-DECAY_SHIFT of itself each period: a memory of about 2^DECAY_SHIFT
/// periods, so traffic whose phases are shorter than a period settles on the rule that wins
/// over the phases instead of following each one a period late. (Eight periods let small
/// oscillating traces, `lirs-backf` and `lirs-zigzag`, flip to the rule that loses over the
/// whole trace: 1.2–1.6 points below LRU at 5–10 % of their keys, against 0.2–0.8 with
/// sixteen; the synthetic corpus was the same within 0.1 point.)
const DECAY_SHIFT: u32 = 4;
/// The lead, in 1/2^MARGIN_SHIFT of a period's reads, one rule needs over the other before
/// the shards change to it: a tie does not flap.
const MARGIN_SHIFT: u32 = 6;

/// "No key" for [`Duel::saturated`]. A key whose hash this is would have one read skipped
/// that should have been replayed, a chance of 2^-64 per key.
const NO_KEY: u64 = u64::MAX;

const ADAPTIVE: usize = 0;
const RECENCY: usize = 1;

pub(crate) struct Duel {
    /// A key is sampled when the top half of its remixed hash is below this (2^32: all).
    threshold: u64,
    /// The rule the shards follow: 1 for recency, 0 for the adaptive frequency rule.
    recency: AtomicU8,
    /// The hash of the key the last replay left resident with its use byte saturated in
    /// every miniature ([`NO_KEY`] if it did not). A read of it again would hit everywhere
    /// and change no miniature, so it skips the lock: a hot key that falls in the sample
    /// does not send every one of its reads through this one mutex.
    saturated: AtomicU64,
    /// Boxed: the cache's own struct stays small, its hot fields on one line.
    minis: Box<Mutex<Minis>>,
}

struct Minis {
    /// `[ADAPTIVE]` runs the shards' own rule, `[RECENCY]` the whole-capacity window; each
    /// models the cache at its capacity.
    caches: [Shard<u64, ()>; 2],
    /// Until a period has ended with one rule leading by the margin, the same pair at half the
    /// size, modelling the cache at half its capacity; `None` after that.
    early: Option<Box<[Shard<u64, ()>; 2]>>,
    hits: [u64; 2],
    /// Reads this period where only this rule's early miniature hit.
    only: [u64; 2],
    reads: u64,
    /// Recency's hits less adaptive's, each period's added to the decayed previous lead.
    lead: i64,
    /// The weight a miniature gives a key it loads on its own miss.
    weight: u32,
}

impl Minis {
    /// Every miniature: the full-size pair, then the early pair while it lasts.
    fn all(&self) -> impl Iterator<Item = &Shard<u64, ()>> {
        self.caches
            .iter()
            .chain(self.early.iter().flat_map(|e| e.iter()))
    }

    fn all_mut(&mut self) -> impl Iterator<Item = &mut Shard<u64, ()>> {
        self.caches
            .iter_mut()
            .chain(self.early.iter_mut().flat_map(|e| e.iter_mut()))
    }

    /// Whether the key with this hash is resident with its use byte saturated in every
    /// miniature, so that another read of it would change none of them.
    fn saturated(&self, hash: u64) -> bool {
        self.all().all(|c| c.saturated(hash))
    }

    /// Each miniature's capacity.
    fn capacity(&self) -> u64 {
        self.caches[ADAPTIVE].capacity
    }

    /// Sampled reads per decision.
    fn period(&self) -> u64 {
        PERIOD_FACTOR * self.capacity()
    }

    /// The lead as this period would leave it if it ended now: the earlier periods' lead,
    /// decayed, plus recency's hits this period less adaptive's.
    fn lead_now(&self) -> i64 {
        let diff = self.hits[RECENCY] as i64 - self.hits[ADAPTIVE] as i64;
        self.lead - (self.lead >> DECAY_SHIFT) + diff
    }

    /// Sets the shards' rule to the one [`lead_now`](Self::lead_now) favours, if it leads by
    /// more than the margin; whether it did.
    fn follow_lead(&self, recency: &AtomicU8) -> bool {
        let lead = self.lead_now();
        let margin = (self.period() >> MARGIN_SHIFT).max(1) as i64;
        let decided = lead.abs() > margin;
        if decided {
            recency.store(u8::from(lead > 0), Ordering::Relaxed);
        }
        decided
    }

    /// Ends a period: folds its hits into the lead, sets the shards' rule as
    /// [`follow_lead`](Self::follow_lead) does, and drops the early pair once that decided.
    fn decide(&mut self, recency: &AtomicU8) {
        if self.follow_lead(recency) {
            self.early = None;
        }
        self.lead = self.lead_now();
        self.hits = [0; 2];
        self.only = [0; 2];
        self.reads = 0;
    }

    /// Before the first decision: follows the rule whose early miniature has hit alone more
    /// often this period, if one has.
    ///
    /// No significance test: until a period has ended with one rule ahead by the margin, a
    /// rule takes over as soon as it leads among the reads where exactly one early miniature
    /// hit, so a short trace, or the first minutes of a long one, does not run two capacities
    /// of requests on the losing rule. (A sign test at two standard deviations, as this was
    /// before, held create-then-read at reuse 10^4 with the capacity at the reuse distance a
    /// point below LRU on 11 of 16 hash seeds, for the requests it waited; with none, on none.)
    /// After that first decision the rule follows the decayed lead, whose memory of about
    /// sixteen periods keeps a trace whose phases alternate faster than that from flapping.
    fn decide_early(&mut self, recency: &AtomicU8) {
        let (a, r) = (self.only[ADAPTIVE], self.only[RECENCY]);
        if a != r {
            recency.store(u8::from(r > a), Ordering::Relaxed);
        }
    }
}

impl Duel {
    pub(crate) fn new(capacity: u64, unit: bool) -> Result<Self, crate::alloc::Refused> {
        let mini = capacity.min(MINI_CAPACITY);
        let threshold = ((u128::from(mini) << 32) / u128::from(capacity)) as u64;
        Ok(Self {
            threshold,
            recency: AtomicU8::new(0),
            saturated: AtomicU64::new(NO_KEY),
            minis: Box::new(Mutex::new(Minis {
                caches: pair(mini, unit, [0x1405_7B7E_F767_814F, 0x5851_F42D_4C95_7F2D])?,
                early: Some(Box::new(pair(
                    (mini / 2).max(1),
                    unit,
                    [0x1405_7B7E_F767_8141, 0x5851_F42D_4C95_7F2F],
                )?)),
                hits: [0; 2],
                only: [0; 2],
                reads: 0,
                lead: 0,
                weight: 1,
            })),
        })
    }

    /// Whether the shards should follow recency (read by a shard before each insert).
    #[inline(always)]
    pub(crate) fn recency(&self) -> bool {
        self.recency.load(Ordering::Relaxed) != 0
    }

    /// Whether the key with this hash is in the sample.
    #[inline(always)]
    pub(crate) fn sampled(&self, hash: u64) -> bool {
        (hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) < self.threshold
    }

    /// A sampled key was looked up: each miniature looks it up too and counts a hit.
    ///
    /// A read of the key the last replay left saturated everywhere is skipped: in every
    /// miniature it would be a hit that changes nothing, so it would add one hit to each rule
    /// (no change to the lead) and split no early pair. What skipping changes is only that a
    /// period counts the reads that were replayed, so it spans more traffic when a hot key
    /// is in the sample.
    #[cold]
    pub(crate) fn read(&self, hash: u64) {
        if self.saturated.load(Ordering::Relaxed) == hash {
            return;
        }
        let mut m = self.minis.lock();
        let m = &mut *m;
        let weight = m.weight;
        let hit = replay(&mut m.caches, hash, weight);
        for j in [ADAPTIVE, RECENCY] {
            m.hits[j] += u64::from(hit[j]);
        }
        let split_full = hit[ADAPTIVE] != hit[RECENCY];
        let split = m.early.as_deref_mut().is_some_and(|early| {
            let hit = replay(early, hash, weight);
            for j in [ADAPTIVE, RECENCY] {
                m.only[j] += u64::from(hit[j] && !hit[1 - j]);
            }
            hit[ADAPTIVE] != hit[RECENCY]
        });
        let marker = if m.saturated(hash) { hash } else { NO_KEY };
        self.saturated.store(marker, Ordering::Relaxed);
        m.reads += 1;
        if m.reads >= m.period() {
            m.decide(&self.recency);
        } else if split {
            m.decide_early(&self.recency);
        } else if split_full && m.early.is_none() {
            // The lead moves only on a read where the two miniatures disagree.
            m.follow_lead(&self.recency);
        }
    }

    /// A sampled key was written with `weight`: each miniature writes it too.
    #[cold]
    pub(crate) fn write(&self, hash: u64, weight: u32) {
        let mut m = self.minis.lock();
        // A load may evict the saturated key, or the next scan flush its use byte.
        self.saturated.store(NO_KEY, Ordering::Relaxed);
        let weight = u64::from(weight).clamp(1, m.capacity()) as u32;
        // The weight a miniature gives a key it loads on a miss: the running mean of writes.
        m.weight = ((u64::from(m.weight) * 7 + u64::from(weight)) / 8).max(1) as u32;
        for cache in m.all_mut() {
            // A key the miniature loaded on its own miss is there already: a write that
            // follows the real cache's miss is the same load, not a second use.
            if matches!(cache.lookup(hash, &hash, 0), Found::Absent) {
                load(cache, hash, weight);
            }
        }
    }

    /// Checks both miniatures' invariants and that each holds every hash in `present`;
    /// returns the reads counted in the current period.
    #[cfg(all(test, loom))]
    pub(crate) fn check(&self, present: &[u64]) -> u64 {
        let m = self.minis.lock();
        for cache in m.all() {
            cache.check();
            for h in present {
                assert!(matches!(cache.lookup(*h, h, 0), Found::Live(_)));
            }
        }
        m.reads
    }

    /// Whether the saturated-key marker tells the truth: no key, or one resident with its use
    /// byte saturated in every miniature.
    #[cfg(all(test, loom))]
    pub(crate) fn marker_holds(&self) -> bool {
        let m = self.minis.lock();
        let key = self.saturated.load(Ordering::Relaxed);
        key == NO_KEY || m.saturated(key)
    }
}

/// An adaptive and a recency miniature of `capacity` (the order of [`ADAPTIVE`] and
/// [`RECENCY`]), their admission jitter seeded with `seeds`.
fn pair(
    capacity: u64,
    unit: bool,
    seeds: [u64; 2],
) -> Result<[Shard<u64, ()>; 2], crate::alloc::Refused> {
    let adaptive = Shard::new(capacity, capacity, None, unit, false, seeds[ADAPTIVE])?;
    let mut recency = Shard::new(capacity, capacity, None, unit, false, seeds[RECENCY])?;
    recency.set_recency(true);
    Ok([adaptive, recency])
}

/// Looks a sampled key up in both miniatures of a pair, loading it where it misses; which hit.
fn replay(pair: &mut [Shard<u64, ()>; 2], hash: u64, weight: u32) -> [bool; 2] {
    let mut hit = [false; 2];
    for (j, cache) in pair.iter_mut().enumerate() {
        if let Found::Live(i) = cache.lookup(hash, &hash, 0) {
            cache.touch(i, 0);
            hit[j] = true;
        } else {
            // A miss loads the key, whatever the real cache did: each miniature must see the
            // traffic its own rule would cause, not the real cache's.
            load(cache, hash, weight);
        }
    }
    hit
}

/// Inserts a sampled key into a miniature (keyed by its hash; what it evicts is dropped), no
/// heavier than the miniature holds: `Shard::insert` expects a weight that fits, and
/// [`Duel::write`] clamps to the full-size pair, twice the early pair's capacity.
fn load(cache: &mut Shard<u64, ()>, hash: u64, weight: u32) {
    let weight = u64::from(weight).min(cache.capacity) as u32;
    let mut out = Removed::None;
    cache.insert(hash, hash, (), weight, NEVER, 0, &mut out);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::concurrent::shard::MAX_USES;

    /// A distinct hash per key (the miniatures are keyed by hash).
    fn h(k: u64) -> u64 {
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5DEE_CE66
    }

    /// Each key written, then read once `gap` writes later; the number of reads after which
    /// the shards were told to follow recency, if they were. A recency cache holds a key
    /// until it is read while twice the gap fits (a read makes the key the most recent, so the
    /// cache holds the last `gap` reads beside the last `gap` writes); the adaptive rule's
    /// admission test refuses keys with no history, and its small window forgets them.
    fn create_then_read(duel: &Duel, keys: u64, gap: u64) -> Option<u64> {
        let mut reads = 0;
        for k in 0..keys {
            duel.write(h(k), 1);
            if k >= gap {
                duel.read(h(k - gap));
                reads += 1;
                if duel.recency() {
                    return Some(reads);
                }
            }
        }
        None
    }

    const PERIOD: u64 = PERIOD_FACTOR * MINI_CAPACITY;
    /// Twice the gap fits the early miniatures (half of [`MINI_CAPACITY`]): recency hits there.
    const GAP: u64 = MINI_CAPACITY / 6;

    #[test]
    fn a_plainly_winning_rule_takes_over_before_the_first_period_ends() {
        let duel = Duel::new(MINI_CAPACITY, true).unwrap();
        let switched = create_then_read(&duel, 4 * PERIOD, GAP).expect("recency never took over");
        assert!(
            switched < PERIOD,
            "recency took over after {switched} reads, not before the period of {PERIOD}"
        );
    }

    /// After the first decision the rule follows the lead as the period would leave it if it
    /// ended now: traffic that turns an undecided race must first undo the lead the earlier
    /// periods built, and the margin keeps the rule from flapping on a tie.
    fn decided_for_adaptive_by(lead: u64) -> Duel {
        let duel = Duel::new(MINI_CAPACITY, true).unwrap();
        {
            let mut m = duel.minis.lock();
            m.hits = [lead, 0];
            m.decide(&duel.recency);
            assert!(m.early.is_none() && !duel.recency());
        }
        duel
    }

    #[test]
    fn once_decided_a_rule_holds_until_the_lead_turns() {
        // A period that ended with the adaptive rule ahead by far more than the margin: the
        // traffic that turns an undecided race within the period takes more than a period.
        let duel = decided_for_adaptive_by(PERIOD);
        let reads = create_then_read(&duel, 4 * PERIOD, GAP).expect("recency never took over");
        assert!(
            reads >= PERIOD,
            "switched after {reads} reads, inside the period of {PERIOD}"
        );
    }

    #[test]
    fn a_lead_that_turns_within_a_period_changes_the_rule_then() {
        // Ahead by just past the margin: the same traffic turns the lead, and the rule, well
        // before the period ends.
        let margin = (PERIOD >> MARGIN_SHIFT).max(1);
        let duel = decided_for_adaptive_by(margin + 1);
        let reads = create_then_read(&duel, 4 * PERIOD, GAP).expect("recency never took over");
        assert!(
            reads < PERIOD,
            "switched after {reads} reads, not inside the period of {PERIOD}"
        );
    }

    /// A reader's hit on resident key `k` in one miniature.
    fn read(cache: &mut Shard<u64, ()>, k: u64) {
        match cache.lookup(h(k), &h(k), 0) {
            Found::Live(i) => cache.touch(i, 0),
            _ => panic!("key {k} should be resident"),
        }
    }

    /// The recency ring keeps a used entry as LRU would, not as a CLOCK: one read just after
    /// it arrived (more than half a pass old when the hand comes) does not earn another pass;
    /// one read late in the pass does. A CLOCK would keep both.
    #[test]
    fn the_recency_ring_lets_an_early_use_go_and_keeps_a_late_one() {
        for early in [true, false] {
            let [_, mut ring] = pair(64, true, [1, 2]).unwrap();
            // Key 0 leaves the window for the one-entry main space as the ring fills.
            for k in 0..64 {
                load(&mut ring, h(k), 1);
                if k == 1 && early {
                    read(&mut ring, 1);
                }
            }
            if !early {
                read(&mut ring, 1);
            }
            read(&mut ring, 2);
            for k in 64..67 {
                load(&mut ring, h(k), 1);
            }
            // LRU's order: with the early read, key 1 is the least recent and leaves first.
            assert_eq!(ring.uses(h(1)).is_some(), !early, "early read: {early}");
            assert!(ring.uses(h(2)).is_some());
            ring.check();
        }
    }

    /// A hit on an entry whose use byte is saturated writes nothing, not even its stamp, so
    /// the stamp is that of the last use counted; the ring keeps such an entry whatever that
    /// stamp says, as it is in steady use. (An entry read once as early is let go: above.)
    #[test]
    fn a_saturated_entry_is_written_by_no_hit_and_keeps_its_pass() {
        let mut ring = pair(64, true, [1, 2])
            .unwrap()
            .into_iter()
            .nth(RECENCY)
            .unwrap();
        for k in 0..64 {
            load(&mut ring, h(k), 1);
            if k == 1 {
                for _ in 0..MAX_USES {
                    read(&mut ring, 1);
                }
                assert_eq!(ring.use_state(h(1)), Some((MAX_USES, true)));
            }
        }
        // The epoch has moved on since: this hit leaves the stamp where the last count put it.
        read(&mut ring, 1);
        assert_eq!(ring.use_state(h(1)), Some((MAX_USES, false)));
        for k in 64..67 {
            load(&mut ring, h(k), 1);
        }
        assert!(
            ring.uses(h(1)).is_some(),
            "the saturated entry lost its pass"
        );
        ring.check();
    }

    /// Each miniature's residents among `keys`, with their use bytes and whether their last
    /// counted use is in the current epoch (the early pair's too if `early`).
    fn contents(duel: &Duel, keys: u64, early: bool) -> Vec<Vec<Option<(u8, bool)>>> {
        let m = duel.minis.lock();
        let pairs = if early { 2 } else { 1 };
        m.all()
            .take(2 * pairs)
            .map(|c| (0..keys).map(|k| c.use_state(h(k))).collect())
            .collect()
    }

    proptest::proptest! {
        /// Skipping the saturated key's repeats leaves the race where replaying them would:
        /// the same residents and use bytes in every miniature, the same lead of hits and of
        /// split reads, the same rule. (Within a period: a period counts replayed reads only.)
        #[test]
        fn skipping_a_saturated_repeat_changes_no_miniature(
            ops in proptest::collection::vec((0u64..12, proptest::bool::weighted(0.1)), 1..120),
        ) {
            // 64-entry miniatures: a period of 128 reads, longer than any sequence here.
            let (skipping, replaying) = feed(64, &ops, 5);
            proptest::prop_assert_eq!(contents(&skipping, 8, true), contents(&replaying, 8, true));
            let (a, b) = (skipping.minis.lock(), replaying.minis.lock());
            proptest::prop_assert_eq!(
                a.hits[RECENCY] as i64 - a.hits[ADAPTIVE] as i64,
                b.hits[RECENCY] as i64 - b.hits[ADAPTIVE] as i64
            );
            proptest::prop_assert_eq!(a.only, b.only);
            proptest::prop_assert!(a.reads <= b.reads);
            proptest::prop_assert_eq!(skipping.recency(), replaying.recency());
        }
    }

    proptest::proptest! {
        /// The same over many periods and more keys than the miniatures hold, so that loads
        /// evict and scans clear use bytes: the full-size pair ends with the same residents
        /// and use bytes. (The early pair is dropped at a period's end, which comes later
        /// for the skipping race.)
        #[test]
        fn skipping_a_saturated_repeat_changes_no_miniature_under_evictions(
            ops in proptest::collection::vec((0u64..40, proptest::bool::weighted(0.2)), 1..600),
        ) {
            feed(8, &ops, 20);
        }
    }

    /// Runs `ops` (key, whether a write) through a race over `capacity` and one that replays
    /// every read, and checks after each that their full-size pairs hold the same residents
    /// with the same use bytes; the first `hot + 1` keys all read as key 0, so it saturates
    /// and repeats.
    fn feed(capacity: u64, ops: &[(u64, bool)], hot: u64) -> (Duel, Duel) {
        let skipping = Duel::new(capacity, true).unwrap();
        let replaying = Duel::new(capacity, true).unwrap();
        for &(k, write) in ops {
            let k = k.saturating_sub(hot);
            for duel in [&skipping, &replaying] {
                if write {
                    duel.write(h(k), 1);
                } else {
                    if std::ptr::eq(duel, &replaying) {
                        duel.saturated.store(NO_KEY, Ordering::Relaxed);
                    }
                    duel.read(h(k));
                }
            }
            let keys = ops
                .iter()
                .map(|&(k, _)| k.saturating_sub(hot))
                .max()
                .unwrap_or(0)
                + 1;
            assert_eq!(
                contents(&skipping, keys, false),
                contents(&replaying, keys, false),
                "after {k}, {}",
                if write { "written" } else { "read" }
            );
        }
        (skipping, replaying)
    }

    #[test]
    fn a_hot_key_in_the_sample_stops_taking_the_lock_once_saturated() {
        let duel = Duel::new(MINI_CAPACITY, true).unwrap();
        duel.write(h(1), 1);
        let mut replayed = 0;
        for _ in 0..100 {
            let before = duel.minis.lock().reads;
            duel.read(h(1));
            replayed += duel.minis.lock().reads - before;
        }
        // A load leaves the use byte at 0 and each replayed hit adds one, up to MAX_USES.
        assert_eq!(replayed, u64::from(MAX_USES));
        // Another key's replay may change the miniatures: the hot key is replayed again.
        duel.read(h(2));
        let before = duel.minis.lock().reads;
        duel.read(h(1));
        assert_eq!(duel.minis.lock().reads, before + 1);
    }

    #[test]
    fn a_tie_does_not_change_the_rule() {
        let duel = Duel::new(MINI_CAPACITY, true).unwrap();
        // A working set that fits: after the first round both miniatures hit every read.
        for round in 0..8 {
            for k in 0..MINI_CAPACITY / 2 {
                if round == 0 {
                    duel.write(h(k), 1);
                }
                duel.read(h(k));
            }
        }
        let m = duel.minis.lock();
        assert_eq!(m.only, [0, 0]);
        assert!(m.early.is_some() && !duel.recency());
    }

    /// Until the first decision the shards follow the rule whose early miniature has hit
    /// alone more often this period, whatever the margin, and keep their rule on a tie.
    #[test]
    fn before_the_first_decision_the_early_leader_sets_the_rule() {
        let duel = Duel::new(MINI_CAPACITY, true).unwrap();
        let mut m = duel.minis.lock();
        for (only, recency) in [
            ([0, 1], true),
            ([1, 1], true),
            ([2, 1], false),
            ([2, 2], false),
            ([40, 41], true),
        ] {
            m.only = only;
            m.decide_early(&duel.recency);
            assert_eq!(duel.recency(), recency, "split reads {only:?}");
        }
    }
}
