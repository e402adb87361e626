//! Replica sync: bytes, round trips and CPU of a full exchange, the Merkle descent (binary and
//! wider fan-outs) and rateless IBLT reconciliation, with the peer `riblt` in the same run.

use crate::chart::{Chart, Series};
use crate::{Ctx, Record, Section};
use brick_merkle::{
    MerkleHasher, Reconciler, Sha256, SymbolFrame, SymbolMessage, SyncSession, SyncTree,
};
use std::time::Instant;

const BRICK: &str = "merkle-sync";
const OURS: &str = "brick-merkle";
const DIGEST: usize = 32;
/// Keys are `user:%08d` (base) and `new:%09d` (added): 13 bytes each.
const KEY: usize = 13;

/// Two replicas of `n` keys that differ in `d` keys: B lacks every other one of d evenly spread
/// base keys and holds the others' worth of new keys A lacks, so the symmetric difference of
/// the (key, entry hash) sets is exactly d items.
pub fn replicas(n: u64, d: u64) -> (SyncTree, SyncTree, Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let base: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("user:{i:08}").into_bytes())
        .collect();
    let step = (n / d.max(1)).max(1);
    let dropped: Vec<usize> = (0..d / 2).map(|j| (2 * j * step % n) as usize).collect();
    let added: Vec<Vec<u8>> = (0..d - d / 2)
        .map(|j| format!("new:{j:09}").into_bytes())
        .collect();
    let mut a = SyncTree::with_expected_keys(n);
    a.extend(base.iter().map(|k| (k.as_slice(), &b"v"[..])));
    let mut b = a.clone();
    for &i in &dropped {
        b.remove(&base[i]);
    }
    for k in &added {
        b.insert(k, b"v");
    }
    let items = |t: &SyncTree| t.iter().map(|(k, _)| k.to_vec()).collect();
    let (ia, ib) = (items(&a), items(&b));
    (a, b, ia, ib)
}

/// One protocol run: bytes both ways, round trips (a wait for the peer's answer), differences.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Bytes of every frame, both directions.
    pub bytes: u64,
    /// Waits for the peer's answer.
    pub round_trips: u64,
    /// Differences the initiator found.
    pub found: usize,
}

/// A Merkle session (or, with `full`, a plain full exchange) over the wire form.
pub fn merkle(a: &SyncTree, b: &SyncTree, fanout: u32, full: bool) -> Run {
    let mut sa = SyncSession::with_fanout(a, fanout).expect("valid fan-out");
    let mut sb = SyncSession::with_fanout(b, fanout).expect("valid fan-out");
    let first = if full { sa.start_full() } else { sa.start() };
    let mut wire = Some(first.to_bytes());
    let (mut bytes, mut messages, mut to_b) = (0u64, 0u64, true);
    while let Some(w) = wire {
        bytes += w.len() as u64;
        messages += 1;
        let s = if to_b { &mut sb } else { &mut sa };
        wire = s.handle_bytes(&w).expect("valid protocol");
        to_b = !to_b;
    }
    Run {
        bytes,
        round_trips: messages.div_ceil(2),
        found: sa.differences().map_or(0, <[_]>::len),
    }
}

/// A rateless IBLT reconciliation: A requests, B streams until A stops it (one round trip).
/// Returns the run, symbols used and the mean encoded symbol size.
pub fn iblt(a: &SyncTree, b: &SyncTree) -> (Run, u64, f64) {
    let mut ra = Reconciler::new(a);
    let mut rb = Reconciler::new(b);
    let request = ra.start().to_bytes();
    let mut bytes = request.len() as u64;
    let mut next = rb.handle_bytes(&request).expect("valid request");
    let (mut symbol_bytes, mut symbols_sent) = (0usize, 0usize);
    loop {
        let w = next.expect("the stream goes on until stopped");
        bytes += w.len() as u64;
        if let Ok(SymbolFrame {
            message: SymbolMessage::Symbols { symbols, .. },
            ..
        }) = SymbolFrame::<[u8; DIGEST]>::from_bytes(&w)
        {
            symbols_sent += symbols.len();
            symbol_bytes += w.len();
        }
        if let Some(reply) = ra.handle_bytes(&w).expect("valid stream") {
            // An acknowledgement, or the stop: both are bytes on the wire.
            bytes += reply.len() as u64;
            rb.handle_bytes(&reply).expect("valid reply");
        }
        if ra.is_done() {
            break;
        }
        next = rb.next_frame().map(|f| f.to_bytes());
    }
    let run = Run {
        bytes,
        round_trips: 1,
        found: ra.differences().map_or(0, <[_]>::len),
    };
    (
        run,
        ra.symbols(),
        symbol_bytes as f64 / symbols_sent.max(1) as f64,
    )
}

/// riblt's item: the key and its entry hash, fixed width.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RibltItem([u8; KEY + DIGEST]);

impl riblt::Symbol for RibltItem {
    const BYTE_ARRAY_LENGTH: usize = KEY + DIGEST;
    fn encode_to_bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }
    fn decode_from_bytes(bytes: &Vec<u8>) -> Self {
        let mut out = [0u8; KEY + DIGEST];
        out.copy_from_slice(&bytes[..KEY + DIGEST]);
        Self(out)
    }
    // The same fast hash ours uses, so the comparison is of the structures.
    fn hash_(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.0)
    }
}

/// riblt's items for a replica's keys (every value is `v`).
pub fn riblt_items(keys: &[Vec<u8>]) -> Vec<RibltItem> {
    keys.iter()
        .map(|k| {
            let mut out = [0u8; KEY + DIGEST];
            out[..KEY].copy_from_slice(k);
            out[KEY..].copy_from_slice(&Sha256::entry(k, b"v"));
            RibltItem(out)
        })
        .collect()
}

/// Whether riblt decodes the difference from the first `m` of each side's symbols.
fn riblt_decodes(
    local: &mut riblt::RatelessIBLT<RibltItem, Vec<RibltItem>>,
    remote: &mut riblt::RatelessIBLT<RibltItem, Vec<RibltItem>>,
    m: usize,
) -> (bool, usize) {
    let mut got = riblt::UnmanagedRatelessIBLT::new();
    for i in 0..m {
        got.add_coded_symbol(&remote.get_coded_symbol(i));
    }
    let mut diff = local.collapse(&got);
    let found = diff.peel_all_symbols().len();
    (diff.is_empty(), found)
}

/// riblt with an oracle for the prefix length it needs (the most generous driver: its
/// streaming use re-collapses and re-peels every prefix): the fewest symbols that decode, and
/// the bytes of those symbols as its bincode serialisation.
pub fn riblt_prefix(a: &[RibltItem], b: &[RibltItem], d: u64) -> (usize, u64) {
    let mut local = riblt::RatelessIBLT::new(a.to_vec());
    let mut remote = riblt::RatelessIBLT::new(b.to_vec());
    let (mut lo, mut hi) = (0usize, 1usize.max(d as usize));
    while !riblt_decodes(&mut local, &mut remote, hi).0 {
        (lo, hi) = (hi, hi * 2);
    }
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if riblt_decodes(&mut local, &mut remote, mid).0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let bytes: u64 = (0..hi)
        .map(|i| bincode::serialize(&remote.get_coded_symbol(i)).map_or(0, |v| v.len() as u64))
        .sum();
    (hi, bytes)
}

/// riblt's whole reconciliation at a known prefix: both sides built from their sets, `m`
/// symbols collapsed and peeled once; the number of items recovered.
pub fn riblt_once(a: &[RibltItem], b: &[RibltItem], m: usize) -> usize {
    let mut local = riblt::RatelessIBLT::new(a.to_vec());
    let mut remote = riblt::RatelessIBLT::new(b.to_vec());
    let (ok, found) = riblt_decodes(&mut local, &mut remote, m);
    assert!(ok, "riblt decodes at its own prefix");
    found
}

/// The report section.
#[derive(Debug)]
pub struct MerkleSyncSection;

impl Section for MerkleSyncSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        "Two replicas of n keys (13-byte keys, SHA-256 entry hashes) that differ in d keys (half only \
         A has, half only B has: d items in the symmetric difference). Bytes are both directions of \
         the wire form; a round trip is one wait for the peer. `full exchange` is A sending every \
         key with its entry hash and B answering with its differing entries (what both sides need \
         to learn the difference); `Merkle f=2` is the binary descent, `Merkle f=16` the default \
         fan-out, `Merkle best` the fan-out (2 to 256) with the fewest bytes; IBLT is the rateless \
         `Reconciler` (A requests, B streams until stopped). riblt 0.1 is given the exact prefix it \
         needs and timed building both sides and decoding it once; its peeling rescans the table \
         for every item, so it is run up to d = 1,000. CPU is the whole reconciliation (both \
         sides' symbols from their sets, the decode) per recovered difference."
            .to_owned()
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let mut out = Vec::new();
        let sizes: Vec<u64> = ctx
            .mode
            .pick(vec![10_000], vec![100_000], vec![100_000, 1_000_000]);
        for n in sizes {
            out.extend(self.at(ctx, n));
        }
        out
    }
}

impl MerkleSyncSection {
    fn at(&self, ctx: &Ctx, n: u64) -> Vec<Record> {
        let mut out = Vec::new();
        let mut ds: Vec<u64> = [1, 10, 100, n / 100, n / 10]
            .into_iter()
            .filter(|&d| d >= 1)
            .collect();
        ds.dedup();
        let mut lines: Vec<(&str, Vec<(f64, f64)>)> = [
            "full exchange",
            "Merkle f=2",
            "Merkle best fan-out",
            "IBLT (ours)",
            "riblt",
            "floor d·(key + hash)",
            "Merkle f=16",
        ]
        .into_iter()
        .map(|name| (name, Vec::new()))
        .collect();
        for &d in &ds {
            ctx.step(&format!("sync n={n} d={d}"));
            let (a, b, ka, kb) = replicas(n, d);
            let p = format!("n={n} d={d}");
            let rec = |structure: &str, imp: &str, op: &str| {
                Record::new(BRICK, structure, imp, imp == OURS, op, p.clone())
            };
            let full = merkle(&a, &b, 2, true);
            let binary = merkle(&a, &b, 2, false);
            let default = merkle(&a, &b, 16, false);
            let (best_f, best) = [2u32, 4, 8, 16, 32, 64, 256]
                .into_iter()
                .map(|f| (f, merkle(&a, &b, f, false)))
                .min_by_key(|(_, r)| r.bytes)
                .expect("fan-outs");
            for r in [full, binary, default, best] {
                assert_eq!(r.found as u64, d, "every protocol finds the d differences");
            }
            let slack = {
                let mut s = SyncSession::with_fanout(&a, 16).expect("valid");
                let _ = s.start();
                s.slack()
            };
            for (name, run) in [
                ("full exchange", full),
                ("Merkle f=2", binary),
                ("Merkle f=16", default),
                (&*format!("Merkle best (f={best_f})"), best),
            ] {
                out.push(rec(name, OURS, "bytes").with_bytes(run.bytes).with_metric(
                    "round trips",
                    run.round_trips as f64,
                    None,
                ));
            }
            for (name, run) in [("f=2", binary), ("f=16", default)] {
                out.push(
                    Record::target(
                        BRICK,
                        &format!("Merkle {name}"),
                        "bytes vs full exchange",
                        p.clone(),
                    )
                    .with_metric(
                        "bytes / full exchange",
                        run.bytes as f64 / full.bytes as f64,
                        Some(1.0),
                    )
                    .at_most(),
                );
            }
            out.push(
                Record::target(
                    BRICK,
                    "Merkle f=16",
                    "bytes vs full exchange + slack",
                    p.clone(),
                )
                .with_metric(
                    "bytes / (full exchange + slack)",
                    default.bytes as f64 / (full.bytes + slack) as f64,
                    Some(1.0),
                )
                .at_most(),
            );

            // IBLT, timed as a whole (both sides' construction and symbols, the decode), with
            // riblt's in the same alternating runs where it is run.
            let (ours, symbols, symbol_size) = iblt(&a, &b);
            assert_eq!(ours.found as u64, d, "the IBLT finds the d differences");
            let peer = (d <= 1_000).then(|| {
                let (ia, ib) = (riblt_items(&ka), riblt_items(&kb));
                let (m, bytes) = riblt_prefix(&ia, &ib, d);
                (ia, ib, m, bytes)
            });
            let (ours_ns, peer) = match &peer {
                Some((ia, ib, m, bytes)) => {
                    let [t_ours, t_peer] = ctx.time_alternating(
                        d,
                        [&mut || _ = std::hint::black_box(iblt(&a, &b)), &mut || {
                            assert_eq!(riblt_once(ia, ib, *m) as u64, d)
                        }],
                    );
                    (t_ours, Some((*m, *bytes, t_peer)))
                }
                None => (ctx.time(d, || _ = std::hint::black_box(iblt(&a, &b))), None),
            };
            out.push(
                rec("Reconciler", OURS, "bytes")
                    .with_bytes(ours.bytes)
                    .with_metric("symbols / d", symbols as f64 / d as f64, Some(1.35)),
            );
            out.push(rec("Reconciler", OURS, "cpu per difference").with_ns(ours_ns));
            if d >= 100 {
                out.push(
                    Record::target(BRICK, "Reconciler", "bytes vs 1.5·d·symbol", p.clone())
                        .with_metric(
                            "bytes / (d · symbol size)",
                            ours.bytes as f64 / (d as f64 * symbol_size),
                            Some(1.5),
                        )
                        .at_most(),
                );
            }
            let floor = d * (KEY as u64 + DIGEST as u64);
            let xs = d as f64;
            lines[0].1.push((xs, full.bytes as f64));
            lines[1].1.push((xs, binary.bytes as f64));
            lines[2].1.push((xs, best.bytes as f64));
            lines[3].1.push((xs, ours.bytes as f64));
            lines[5].1.push((xs, floor as f64));
            lines[6].1.push((xs, default.bytes as f64));

            if let Some((r_symbols, r_bytes, r_ns)) = peer {
                out.push(
                    rec("RatelessIBLT", "riblt", "bytes")
                        .with_bytes(r_bytes)
                        .with_metric("symbols / d", r_symbols as f64 / d as f64, Some(1.35)),
                );
                out.push(rec("RatelessIBLT", "riblt", "cpu per difference").with_ns(r_ns));
                // Ours counts its request, framing, stop and the last frame's overshoot; riblt's
                // figure is its symbols alone at the exact prefix. The target is set for d ≥ 100,
                // where that fixed overhead stops mattering; below, the ratio is shown bare.
                let ratio = ours.bytes as f64 / r_bytes as f64;
                let row = Record::target(BRICK, "Reconciler", "bytes vs riblt", p.clone());
                out.push(if d >= 100 {
                    row.with_metric("bytes / riblt's", ratio, Some(1.0))
                        .at_most()
                } else {
                    row.with_metric("bytes / riblt's", ratio, None)
                });
                out.push(
                    Record::target(BRICK, "Reconciler", "cpu vs riblt", p.clone())
                        .with_metric("CPU / riblt's", ours_ns / r_ns, Some(0.5))
                        .at_most(),
                );
                lines[4].1.push((xs, r_bytes as f64));
            }
        }

        // Throughput at d = 1 % of n: symbols produced from the set, and symbols decoded.
        let d = n / 100;
        let (a, b, _, _) = replicas(n, d);
        let mut rb = Reconciler::new(&b);
        let mut ra = Reconciler::new(&a);
        let t = Instant::now();
        let request = ra.start();
        let load_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut frames = vec![rb.handle(&request).expect("valid").expect("first symbols")];
        let target = (d as f64 * 1.6) as u64;
        while rb.symbols() < target {
            let ack = SymbolFrame {
                hasher: Sha256::ID,
                message: SymbolMessage::Ack {
                    received: rb.symbols(),
                },
            };
            rb.handle(&ack).expect("valid ack");
            frames.push(rb.next_frame().expect("streaming"));
        }
        let enc_s = t.elapsed().as_secs_f64();
        let produced = rb.symbols();
        let t = Instant::now();
        let mut used = 0;
        for f in &frames {
            ra.handle(f).expect("valid stream");
            if ra.is_done() {
                used = ra.symbols();
                break;
            }
        }
        let dec_s = t.elapsed().as_secs_f64() + load_s;
        let p = format!("n={n} d={d}");
        out.push(
            Record::new(BRICK, "Reconciler", OURS, true, "encode", p.clone()).with_metric(
                "symbols / s",
                produced as f64 / enc_s,
                None,
            ),
        );
        out.push(
            Record::new(BRICK, "Reconciler", OURS, true, "decode", p).with_metric(
                "symbols / s",
                used as f64 / dec_s,
                None,
            ),
        );

        let mut chart = Chart::new(
            format!("Bytes to reconcile two replicas of {n} keys"),
            "differences d",
            "bytes exchanged",
        )
        .log(true, true);
        for (name, points) in lines {
            if !points.is_empty() {
                chart = chart.with(Series::line(name, points));
            }
        }
        ctx.chart(&format!("merkle_sync_bytes_{n}"), &chart);
        out
    }
}
