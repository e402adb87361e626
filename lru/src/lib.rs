#![forbid(unsafe_code)]
//! LRU and LFU caches with O(1) operations, weights, TTL and statistics, in safe Rust.
//!
//! # Example
//! ```
//! use brick_lru::LruCache;
//!
//! let mut cache = LruCache::new(2)?;
//! cache.insert("a", 1);
//! cache.insert("b", 2);
//! assert_eq!(cache.get("a"), Some(&1)); // "a" is now the most recently used
//! let evicted = cache.insert("c", 3);   // full: the least recently used goes
//! assert_eq!(evicted, Some(("b", 2)));
//! assert_eq!(cache.stats().hits, 1);
//! # Ok::<(), brick_lru::Error>(())
//! ```
//!
//! # How it works
//! A cache answers "do I have this key?" in O(1) with a hash table, and "which entry goes
//! when I am full?" in O(1) with a list kept in eviction order. Least recently used (LRU)
//! keeps the list in order of last use: a hit moves the entry to the front, the victim is at
//! the back. Both moves are O(1) in a doubly linked list, given a pointer to the node; the
//! hash table supplies that pointer.
//!
//! **Indices instead of pointers.** The usual Rust LRU crates build that list from raw
//! pointers, which needs `unsafe` (and `lru` has had soundness advisories). Here every entry's
//! key and value live inside its bucket of one `hashbrown::HashTable`, and the links are `u32`
//! bucket indices in a plain array beside the table, one slot per bucket: the same O(1) moves,
//! no `unsafe`, half the size of pointers. A hit finds the key and reads the value in one
//! cache line of the table, and relinks through the links array, which is half the
//! table's size for `u64 → u64` (so more of it stays in cache) and indexed without
//! hashbrown's per-access control-byte check. Bucket indices stay valid while entries come and
//! go; only a rehash (the table growing, or clearing its tombstones) moves entries, and the
//! store does every rehash itself, moving each entry into a new table: it then renumbers all
//! links through an old → new index map, in O(n), as often as hashbrown itself would rehash.
//! (Two earlier versions: entries in a separate `Vec` with the table holding indices into it
//! took two dependent cache misses per hit; links inside the buckets paid a control-byte check
//! on each of the three entries a relink touches: 1.33–1.39× schnellru's hit time, against
//! 1.18–1.27× for this layout in the same hour's runs.) The links array's line is the one a
//! hit touches beyond schnellru's, and it costs only when it is cold: with no other cache
//! resident to push the lines out, this layout's hits measured 1.00–1.09× schnellru's.
//!
//! **LFU.** Least frequently used keeps use counts and evicts the smallest. Shah, Mitra and
//! Matani (2010) make it O(1): entries with equal counts share a bucket, buckets form a list
//! by count, and a hit moves its entry one bucket up. Ties go to the entry whose count was set
//! longest ago, exactly as Python's cachetools does. Counts only grow, so a key that was hot
//! yesterday stays; `decay` halves them all.
//!
//! **Trade-off.** LRU adapts at once but a scan of one-time keys flushes it; LFU resists scans
//! but adapts slowly and pays for its counts. Neither remembers evicted keys; admission
//! policies such as W-TinyLFU (the concurrent cache) beat both on most real traces.
//!
//! # Complexity
//! | operation | LRU | LFU |
//! |---|---|---|
//! | `get`, `peek`, `contains` | O(1) expected | O(1) expected |
//! | `insert` (with eviction) | O(1) expected, amortized; O(evicted) by weight | same |
//! | `remove`, `pop_lru` / `pop_lfu` | O(1) expected | O(1) expected |
//! | `iter`, `retain`, `purge_expired` | O(n) | O(n) |
//! | `decay` | – | O(buckets + entries moved) |
//! | memory | a bucket (key, value) and a control byte, two `u32` links beside it; buckets are a power of two, at most 7/8 full | + a `u32` per bucket and the frequency buckets |
//!
//! # Accuracy
//! The policies are exact, not approximations: `tests/vectors.rs` reproduces all 16 cachetools
//! 8.0.1 cases hit for hit (and their final contents in order), and `tests/traces.rs` replays 15
//! real and synthetic traces (1.1 M requests) at four capacities each, where LRU's hit counts
//! equal libCacheSim's LRU and LFU's equal libCacheSim's LFU in all 60 cases. The `compare`
//! report (`cargo run --release -p brick-benches -- lru`) charts them against the reference
//! curve, beside speed and bytes per entry against lru, schnellru, clru, hashlink and
//! quick_cache.
//!
//! **How to read a hit ratio.**
//! - *The ceiling.* The first request for each key misses in every cache (a compulsory miss),
//!   so no policy beats 1 − distinct keys / requests. A trace of 1 M requests over 300 k keys
//!   caps every cache at 70 %; compare policies by how much of the gap to that ceiling (or to
//!   the offline optimum, Belady's MIN) they close, not by the raw figure.
//! - *Equal capacity.* Hit ratios compare only at the same capacity, in the same unit (entries
//!   or bytes): every policy gains with memory, so "A hits 80 %, B 75 %" says nothing unless
//!   both held the same. The report plots each policy's curve over capacities instead.
//! - *From hit ratio to latency and load.* With hit ratio h, a hit costing t_hit and a miss
//!   t_miss (the origin's time plus the cache's), the mean latency is h·t_hit + (1 − h)·t_miss,
//!   and the origin sees (1 − h) of the traffic. Misses dominate both: at t_hit = 0.1 ms and
//!   t_miss = 10 ms, going from 90 % to 95 % hits cuts the mean from 1.09 ms to 0.60 ms and
//!   halves the origin's load, though "5 points" sounds small. Judge a policy by its miss ratio.
//!
//! ```
//! let mean_ms = |h: f64| h * 0.1 + (1.0 - h) * 10.0;
//! assert_eq!((mean_ms(0.90) * 100.0).round(), 109.0);
//! assert_eq!((mean_ms(0.95) * 100.0).round(), 60.0);
//! assert_eq!(((1.0f64 - 0.95) / (1.0 - 0.90) * 100.0).round(), 50.0); // origin load halves
//! ```
//!
//! # When to use which
//! | workload | use |
//! |---|---|
//! | recency matters (sessions, recently viewed items) | [`LruCache`] |
//! | stable popularity (a product catalogue, DNS) | [`LfuCache`], with `decay` if popularity drifts |
//! | scans mixed with hot keys | [`LfuCache`], or an admission policy (W-TinyLFU) |
//! | many threads share one cache | [`ConcurrentCache`] (W-TinyLFU, single-flight loading) |
//! | real traffic, one thread, best hit ratio | [`ConcurrentCache`] too: its policy beats LRU and LFU on the traces below |
//!
//! # Concurrent cache
//! [`ConcurrentCache`] is the cache request threads share: every method takes `&self`.
//!
//! **Admission, not just eviction.** LRU and LFU decide only *who leaves*; every miss is
//! admitted and pushes something out, so a scan of one-time keys flushes the hot set. TinyLFU
//! (Einziger, Friedman, Manes 2017) also decides *who gets in*: a newcomer replaces the
//! eviction victim only if it has been seen more often recently. "Seen" includes keys not in
//! the cache, so the filter needs a compact approximate history: a count-min sketch of 4-bit
//! counters. W-TinyLFU puts a small LRU window (1 % of the capacity) in front, so a burst of
//! new keys gets a chance to build up a count before it must win the admission test, and
//! splits the main space into probation (where victims come from) and protected (entries
//! used again while on probation, 80 % of main). The window's size then adapts to the
//! traffic (below). Measured on the 15 shared traces (single
//! thread, hit ratio in %, mean over the traces; `tests/traces.rs` asserts that under each
//! of four hash seeds the last column is at least every other, and S3-FIFO's):
//!
//! | capacity (of distinct keys) | LRU | quick_cache | moka | Caffeine | **ConcurrentCache** |
//! |---|---:|---:|---:|---:|---:|
//! | 1 % | 9.28 | 13.06 | 15.47 | 15.90 | **16.98** |
//! | 5 % | 23.21 | 30.59 | 30.62 | 32.12 | **32.80** |
//! | 10 % | 32.96 | 39.68 | 38.17 | 39.54 | **40.38** |
//! | 25 % | 41.16 | 50.25 | 49.51 | 50.59 | **51.63** |
//!
//! On the scan trace at 25 % LRU hits 0.00 % and ConcurrentCache 23.9 %; on the loop trace
//! 0.00 % against 24.8 %. Cell by cell no single policy wins: ConcurrentCache is at or above
//! both moka and quick_cache in 29 of the 60 cells (quick_cache's CLOCK-Pro-like policy leads
//! on some loop-like traces, moka's window-less TinyLFU on some small caches over mixed
//! traces).
//!
//! One departure from Caffeine: the admission test discounts the candidate's own insertion
//! (it must have been seen more often than the victim *before* this request). A key seen for
//! the first time then never displaces a resident, even one whose count has decayed to zero;
//! comparing the counts as they are lets every newcomer of a loop or a long scan (count 1)
//! beat the decayed residents (count 0) and churn the cache: with Caffeine's comparison the
//! 5 % cells of the shared `loop` and `scan` traces fall from 4.7 % to 0.0 % and 4.6 % to 1.3 %.
//!
//! **How the sketch ages.** Each key has four counters in one 64-byte block (one cache line
//! per lookup). After 10 × capacity increments every counter is halved, so a key's count
//! describes roughly the last 10 × capacity requests: yesterday's hot key decays to nothing
//! in a few periods, and a one-hit wonder never accumulates. Counters stop at 15, enough to
//! compare "often" with "rarely". A candidate at 6 or more is admitted against a stronger
//! victim with probability 1/128, so an attacker cannot pin a victim by inflating its count.
//!
//! **How the window adapts.** A fixed 1 % window is right when frequency predicts reuse and
//! wrong when only recency does: a service that writes an object and reads it back a few
//! thousand requests later needs a window that spans those requests, because at admission
//! the object's count (1) never beats a resident's. The shard keeps a *ghost* of recent
//! evictions, the 32-bit tags of the last evicted keys with the side they left (8 bytes per
//! two entries of capacity, direct-mapped), and moves the window on three events, each worth
//! 1/64 of the window (at least one unit), so it can cross from 1 % to 99 % of the shard
//! within a few hundred events at any size:
//!
//! - a miss on a key that admission refused within the last half-probation's worth of window
//!   exits grows the window (a window that much larger would have held it);
//! - a miss on a key the main space evicted recently shrinks it;
//! - so does a probation entry found used when the victim scan reaches it, every time if
//!   admission had spared it against a candidate since, otherwise one time in four (a use in
//!   probation is often one a larger window would have served too).
//!
//! **Which rule, decided by a race.** The window's adaptation follows frequency where it
//! pays, but no window and no admission rule is right for all traffic: when only recency
//! predicts reuse (a key read back soon after it was written, popularity that moves faster
//! than the sketch ages, reuse distances longer than the window), W-TinyLFU loses points to
//! plain LRU, and a rule tuned to win there loses elsewhere. So the cache measures instead of
//! guessing. It keeps two miniature caches of 512 entries (half a default shard) fed the same
//! spatial sample of the keys: a key is sampled when its hash falls below a threshold, so a
//! sampled key is seen on every request, and a cache of `c · rate` on that stream hits about
//! as often as a cache of `c` on the whole stream (Waldspurger et al., "Efficient MRC
//! Construction with SHARDS", FAST 2015). One miniature runs the shards' adaptive W-TinyLFU;
//! the other the same structure with its window over the whole capacity: a ring over recency.
//! A plain CLOCK there gives a used entry a whole pass more when the hand reaches it, so an
//! entry read just after it arrived stays up to two passes, where LRU keeps it one pass after
//! the read; where keys are read back once, just beyond the capacity (create-then-read at
//! reuse 10^4), that cost 1.7 points below LRU at 5 % of the keys and 2.3 at 25 % with 25,000
//! keys. So the ring stamps each use with a coarse clock (a byte, ticking every 1/64 of the
//! capacity inserted) and lets a used entry go when its last use is more than half a pass
//! old: of the two times a ring can evict it, now or a pass later, the one nearer LRU's. The
//! stamp goes with the use count, which saturates at 15: a hit on a saturated entry writes
//! nothing, and the ring keeps such an entry, which is in steady use, without asking its
//! stamp.
//! Modelled alone on the synthetic corpus and the shared traces, this ring is within 0.7
//! point of LRU on every trace at 5 % and above but one, `lirs-ps` at 10 % (4.1 below; the
//! race keeps the adaptive rule there, which hits 53 % to LRU's 16 %), and 0.2–0.3 below it
//! on those two create-then-read cells; CLOCK's frequency bonus (up to 1.9 above LRU on Zipf
//! and the shared traces) is mostly given up, which costs nothing where the race picks the
//! adaptive rule for frequency anyway. Each miniature loads the
//! keys it misses itself, so each sees the traffic its own rule causes. The difference of
//! their hits is a lead that keeps 15/16 of itself every two miniature capacities of sampled
//! reads (a period); when recency leads by more than 1/64 of a period's reads the shards turn
//! to it (the window grows over the whole shard, admission takes every candidate), and when
//! the adaptive rule leads by as much they turn back to the window they had. The lead is
//! checked at every read where the two miniatures disagree, so the shards turn at the read
//! that takes it past the margin, not at the end of the period: a change of traffic costs the
//! time it takes to undo the lead's memory, not that plus up to a period. (Deciding only at
//! period ends, a first decision taken on a marginal lead held create-then-read at reuse 10^4
//! over 25,000 keys 7.3 points below LRU on one seed of 16.)
//!
//! The first decision does not wait for a period to end. Until then a second pair of
//! miniatures, 256 entries each on the same sample, models the cache at half its capacity: it
//! fills, and starts telling the rules apart, after half the requests the real cache needs to
//! fill, and where the rules differ at full size they nearly always differ the same way at
//! half. Until then the shards follow the rule with more of the reads where exactly one of
//! this pair hit, so a trace only a few capacities long, or the first minutes of a long one,
//! does not run on the losing rule for a whole period; once a period ends with one rule ahead
//! by the margin, the half-size pair is dropped. (A sign test at two standard deviations
//! before following, as the first version had, waited long enough on create-then-read with
//! the capacity at the reuse distance to leave it more than a point below LRU on 11 of 16
//! hash seeds; following at once, on none of them.) (Deciding early from the full-size pair, evidence
//! comes only once the real cache is full and evicting; letting the half-size pair decide for
//! good loses on traces whose best rule changes with size, `lirs-sprite` at 10 %.)
//!
//! The cost: a request for a sampled key, one key in `capacity / 512` (every key below that
//! size), takes a mutex and replays through two miniatures (four until the first decision);
//! the others pay one multiply and a compare. Under skew the sampled keys' share of the
//! requests can be far from their share of the keys: under Zipf(0.99) over 100,000 keys the
//! hottest key takes 7.8 % of the reads, and if it falls in the sample every one of them
//! would take that one mutex. So a read of the key that the last replay left resident with
//! its use byte saturated in every miniature skips the lock: it would hit everywhere and
//! change nothing, adding a hit to both rules (no change to the lead) and splitting no early
//! pair; the only difference is that a period counts replayed reads. In the report's rows
//! with the hottest key swapped into the sample (`Xxh3BuildHasher`, so the sample is fixed),
//! get hit took 1.11–1.22× (one thread) and 1.50–1.55× (two threads) the time with it
//! outside when the skip was disabled, and 0.96–0.99× and 1.01–1.05× with it.
//!
//! Why not Caffeine's hill climber (sample the hit ratio every few capacities of lookups and
//! step the window the way that last helped): where neighbouring window sizes hit alike it
//! drifts on noise and can hit *less* with more memory, and it grows too slowly for reuse
//! distances of 10^3–10^4 requests. The race compares two rules on the same requests, so the
//! noise it must overcome is only where they disagree.
//!
//! **Where it loses.** The race sees a rule's cost only when a key it refused is read again,
//! up to a reuse distance later, and it weighs about sixteen periods (two capacities of
//! requests each) of such evidence, so it pays for each change of traffic until the evidence
//! has undone its memory. Which keys it samples depends on the hash seed, which `new` draws
//! at random, so every figure here is over many seeds, not the one a test happens to fix.
//! On the synthetic corpus (the `lru-concurrent` compare section: create-then-read at reuse
//! distances 10 to 10^5, pure recency, shifting popularity, Zipf with and without scans, a
//! loop) at full length and 16 seeds of `Xxh3BuildHasher::with_seed`, every trace is within a
//! point of LRU at 5 % of the keys and above under every seed but one: create-then-read at
//! reuse 10^5 with the capacity at a quarter of it (25 % of 100,000 keys), 1.8–3.1 points
//! below LRU on 12 of 16 seeds. The same holds for the report's two other sizes, whose cells
//! at 25 % (capacity 0.5–0.6 of the reuse distance) miss on 12 and 5 of 16 seeds, by up to
//! 3.1 and 2.2. These traces are four capacities of keys long, and both ends mislead: the
//! keys admitted while the cache filled are read back up to a reuse distance later, so the
//! adaptive rule, which keeps them, leads for most of the trace; the trace then ends with a
//! reuse distance of reads and no new keys, which only recency hits, and by then the keys are
//! long refused. moka and quick_cache lose 15 to 17 points to LRU in the same cells. (Before
//! the shards followed the early pair at once and the lead at the read that turns it, 56
//! seed-cells missed instead of 29, among them create-then-read at the reuse distance, 10 %,
//! on 11 of 16 seeds; the report's `worst of 8 hash seeds` rows show the spread.)
//! On the shared traces `lirs-backf` (9,000 requests over 751 keys) falls 2 points below LRU
//! at 25 % of its keys under every seed, all of it in its first backward pass: its first 750
//! requests are distinct keys, which no rule hits, so when the pass reads back the
//! last of them they were refused before any evidence existed (from the next pass on it hits
//! as LRU does). Starting in recency would win that pass, but it evicts the frequent set of
//! traces like `lirs-gli` and `lirs-ps`, 12–16 points lower at 25 %. Hit ratios never fall
//! by more than 0.2 points when the capacity grows, on any trace of the corpus and any seed.
//! `tests/synthetic.rs` asserts these targets under four seeds, with the one exception above.
//!
//! **Reads take a read lock.** The cache is split into shards by key hash (64, fewer when a
//! shard would hold less than 1,024 capacity units: the same on every machine, so the heaviest
//! entry, `max_entry_weight`, depends on the capacity alone), each a reader-writer lock over a dense
//! slab with index-linked queues. A `get` takes its shard's read lock, so concurrent readers
//! of the same hot key never exclude each other; it marks the use in one byte of the entry
//! (a saturating counter). The policy, run under the write lock by inserts, reads those bytes
//! where it looks: an entry at the old end of a queue that was used since gets a second
//! chance (CLOCK) and its uses go into the sketch then. So each queue is a CLOCK
//! approximation of the LRU list W-TinyLFU specifies. Where the approximation would differ
//! from the list in kind it follows the list: when every older window entry was used, the key
//! being inserted comes round before any of them, and an LRU window never offers its newest
//! key, so it goes round once too (without that, a loop that writes each key and reads it
//! back lost the key at once in up to one insert in 320: 312 of 10^5 at a capacity of 10^5).
//! Reads write nothing shared but their shard's lock word and, until it saturates, the
//! entry's byte. Counting hits and misses costs an atomic add per lookup (about 6 ns here),
//! so, as in Caffeine, `stats` counts them only with `record_stats()`; the window's
//! adaptation reads no counter on the read path, and the race touches only sampled reads.
//!
//! **Single flight.** `get_or_insert_with(key, load)` looks the key up; on a miss, the first
//! caller registers the key as loading and runs `load` with no lock held; every other caller
//! that misses the same key meanwhile waits for that value instead of running its own `load`
//! (no cache stampede). If `load` returns an error (`try_get_or_insert_with`) or panics, the
//! error or the panic goes to the caller whose `load` ran, nothing is cached, and the waiters
//! wake: one of them loads. A loader must not load the same key from the same cache (it would
//! wait for itself).
//!
//! **Entries, compute and iterate.** Every cache has `entry(key)` ([`EntryRef`]):
//! `or_insert(v)`, `or_insert_with(f)` and `or_default()` (on `ConcurrentCache` also the
//! fallible and async forms, single-flight, returning an [`Entry`] that says with `is_fresh`
//! whether this call's loader ran), `and_modify(f)` on the single-threaded caches, and
//! `and_compute_with(f)`. `and_compute_with(key, f)` reads a key's live value and inserts,
//! replaces or removes it as `f` decides (`Compute::Put`, `Remove`, `Keep`) in one critical
//! section, and answers what it did (`Computed::Inserted`, `Updated`, `Removed`,
//! `Unchanged`): per-key counters and merges without a lost update. `iter` is a snapshot taken
//! one shard at a time, holding no lock while the caller iterates.
//!
//! **Stampedes at expiry, and misses.** Entries written together (a warm-up, a batch) expire
//! together and reload together; `Builder::ttl_jitter(d)` shortens each entry's TTL by a
//! random amount below `d`, spreading them. A lookup that finds nothing upstream is worth
//! caching too (negative caching), or every request for a missing key reaches the backend:
//! cache `Option<V>` and give `None` a shorter life than a value.
//! ```
//! use brick_lru::ConcurrentCache;
//! use std::time::Duration;
//!
//! let users: ConcurrentCache<u64, Option<String>> = ConcurrentCache::builder(10_000)
//!     .time_to_live(Duration::from_secs(300))
//!     .ttl_jitter(Duration::from_secs(30))
//!     .build()?;
//! let lookup = |id: u64| (id == 1).then(|| "ada".to_string()); // the database
//! for id in [1, 2] {
//!     match lookup(id) {
//!         Some(name) => users.insert(id, Some(name)).ok(),
//!         // Not found: remembered for 10 s, so a burst of requests for it costs one query.
//!         None => users.insert_with_ttl(id, None, Duration::from_secs(10)).ok(),
//!     };
//! }
//! assert_eq!(users.get(&1), Some(Some("ada".to_string())));
//! assert_eq!(users.get(&2), Some(None)); // known to be absent
//! # Ok::<(), brick_lru::Error>(())
//! ```
//!
//! **Refresh ahead (stale-while-revalidate).** A hot key whose entry expires makes every
//! reader wait for the reload (single flight bounds it to one load, but not the wait).
//! `Builder::refresh_after(age, reload)` serves the value instead: a read of an entry written
//! at least `age` ago returns what it finds at once and starts one background reload,
//! `reload(&key, &old)`; the first read after it lands installs the new value (the listener
//! hears the old one as `Replaced`). One reload runs per entry at a time; an error, a panic or
//! a dropped task keeps the old value, and the next read of the still-stale entry tries again;
//! a write or a removal meanwhile wins, and the late reload is discarded. The reload's slot
//! sits beside its entry, so it leaves with it. Reloads run on a thread of their own by
//! default, on any executor with `refresh_after_with` (a pool, `spawn_blocking`), or as async
//! tasks with `refresh_after_async(age, reload, spawn)` given the runtime's spawn: the crate
//! still depends on none. Pair it with a longer time to live, so that keys nobody reads still
//! expire (a refresh age not below the TTL is a typed error). As Caffeine's
//! `refreshAfterWrite`.
//! ```
//! use brick_lru::ConcurrentCache;
//! use std::time::Duration;
//!
//! let prices: ConcurrentCache<String, u64> = ConcurrentCache::builder(10_000)
//!     .time_to_live(Duration::from_secs(600))
//!     // After a minute, readers keep getting the cached price while one reload runs.
//!     .refresh_after(Duration::from_secs(60), |sku: &String, _old: &u64| {
//!         Ok::<u64, std::io::Error>(sku.len() as u64 * 100) // the pricing service
//!     })
//!     .build()?;
//! prices.insert("sku-1".to_string(), 450).ok();
//! assert_eq!(prices.get("sku-1"), Some(450));
//! # Ok::<(), brick_lru::Error>(())
//! ```
//!
//! **Async single flight.** `get_or_insert_with_async(key, future)` and its `try_` form do the
//! same for tasks, on any runtime (the crate depends on none): the waiters `.await` the load,
//! woken by the waker each registered, and never block a thread. Cancellation is safe: if the
//! loading task's future is dropped, its registration is cleared as a failed load would be and
//! one waiter awaits its own future instead, so no task waits for a load that will not finish
//! (`tests/single_flight_async.rs` steps through it by hand; `src/loom_tests.rs` model-checks the
//! wake-up against a racing load).
//!
//! **Expiry, weights, listener.** Time to live and time to idle per cache (and a TTL per
//! entry) on the injected [`Clock`]: an expired entry is invisible at once, and reclaimed when
//! the policy meets it or by [`ConcurrentCache::purge_expired`]. Capacity is a count or a total
//! weight ([`Weigher`]), split evenly over the shards; an entry heavier than a shard holds is
//! refused with [`TooHeavy`]. The eviction listener sees every entry that leaves, with its
//! [`RemovalCause`], after the shard's lock is released. `get` returns a clone of the value:
//! store `Arc<T>` for large values.
//!
//! | operation | `ConcurrentCache` |
//! |---|---|
//! | `get`, `contains` | O(1) expected; a shard read lock |
//! | `insert`, `remove`, `get_or_insert_with` (miss) | O(1) expected, amortized; a shard write lock |
//! | `get` of an entry due for refresh | O(1) expected; a shard write lock once per reload, the reload outside it |
//! | `len`, `weight`, `stats` | O(shards) |
//! | `retain`, `purge_expired`, `clear` | O(entries) |
//! | memory | a slab entry (16 bytes + key + value: 32 for `u64 → u64`), a 4-byte table slot and control byte, an 8-byte sketch word; + 8 bytes with a TTL, 4 with weights, 8 with a TTI, 16 with a refresh age |
//!
//! # Hashing
//! Every cache built by `new` (or the concurrent builder's default) hashes with
//! [`DefaultBuildHasher`]: foldhash's fast hasher with a key drawn for that cache from a random
//! source. A cache keyed by what users send (URLs, IDs, headers) with a fixed published seed can
//! be attacked by keys precomputed to share a bucket, each lookup then probing past all of
//! them; with a key per cache no key set can be aimed in advance (`tests/hashing.rs` builds
//! such a set against the fixed seed and checks that it spreads). Replays, traces and tests
//! that must repeat hit for hit pass [`Xxh3BuildHasher`] (seeded XXH3) explicitly. foldhash was
//! measured against std's SipHash `RandomState`, also keyed per instance: a get-hit of
//! `LruCache` takes about 19 ns with foldhash, 20 with the fixed-seed XXH3 and 38 with
//! SipHash.
//!
//! # Features
//! - `serde` (off by default): an [`LruCache`] (default hasher, weigher and clock) serializes
//!   as a snapshot of its capacity and live entries, oldest first, and reads back with the
//!   same recency order (a warm restart; times to live are not kept). A snapshot no cache
//!   could write — over its capacity, a key twice — is refused.
//!
//! Dependencies: `hashbrown` (the tables; no default features but `inline-more`),
//! `foldhash` (the default hasher, keyed per cache), `xxhash-rust` (the deterministic
//! [`Xxh3BuildHasher`] for replays). The shard locks are std's.
//!
//! # Limits
//! - At most [`MAX_ENTRIES`] entries (2^29: the links are `u32` bucket indices, and the table
//!   must never need 2^32 buckets). A capacity above that is a typed error for count-bounded
//!   caches; weighted caches evict to stay below it.
//! - Weights are `u32` per entry and `u64` in total. An entry heavier than the capacity is
//!   refused and handed back, never inserted.
//! - Times are nanoseconds of the injected clock: 584 years before they saturate.
//! - [`ConcurrentCache`]: each shard evicts on its own, so an entry may weigh at most a
//!   shard's share of the capacity; the total weight never exceeds the capacity (each shard
//!   stays within its share whenever its lock is free). Expired entries hold capacity until
//!   the policy meets them or a purge. Its policy is an approximation of W-TinyLFU (CLOCK
//!   queues), so hit counts differ from Caffeine's cell by cell.
//! - A weighted [`ConcurrentCache`] does not know its entry count in advance: each shard's
//!   frequency sketch is sized for up to 65,536 entries, so shards holding many more small
//!   entries see more sketch collisions (a slightly weaker admission filter).

// The loom models are unit tests, so loom can stay a dev-dependency; they name the crate as its
// users do.
#[cfg(all(test, loom))]
extern crate self as brick_lru;
mod alloc;
mod cache;
mod clock;
mod concurrent;
mod entry;
mod error;
mod hasher;
mod lfu;
mod local_builder;
mod local_methods;
#[cfg(all(test, loom))]
mod loom_tests;
mod lru;
#[cfg(feature = "serde")]
mod serde_form;
mod stats;
mod store;
mod sync;
mod weigher;
mod xxh3;

pub use cache::RemovalCause;
pub use clock::{Clock, ManualClock, SystemClock};
pub use concurrent::{AsyncTask, BlockingTask, Builder, ConcurrentCache, TooHeavy};
pub use entry::{Compute, Computed, Entry, EntryRef};
pub use error::Error;
pub use hasher::{DefaultBuildHasher, Xxh3BuildHasher, Xxh3Hasher};
pub use lfu::LfuCache;
pub use local_builder::CacheBuilder;
pub use lru::LruCache;
pub use stats::CacheStats;
pub use weigher::{UnitWeigher, Weigher};

/// The most entries a cache holds. Links are `u32` bucket indices with `u32::MAX` meaning
/// "none"; at 2^29 entries hashbrown's table never grows past 2^31 buckets, even when it
/// must make room for tombstones.
pub const MAX_ENTRIES: u32 = 1 << 29;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
