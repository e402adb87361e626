//! [`SyncSession`]: one side of a reconciliation, choosing at each step between descending
//! and sending entries, within a full exchange plus its slack; and the [`Difference`]s it finds.

use crate::wire::varint_len;
use crate::{Error, MerkleHasher, Sha256};
use std::collections::{BTreeMap, BTreeSet};

use super::frame::*;
use super::tree::*;

/// Widest fan-out of a session: 2^8 children a step.
pub const MAX_FANOUT: u32 = 256;
/// The fan-out [`SyncSession::new`] uses.
pub const DEFAULT_FANOUT: u32 = 16;
/// The least a session may spend, beyond a full exchange, on hashes not yet shown to pay (for
/// trees whose full exchange is at least 512 KiB): enough to descend through the top levels,
/// where every node differs, for about a thousand differences before the weights shrink.
pub const SLACK: u64 = 64 * 1024;
/// Beyond [`SLACK`], a session may speculate with 1/64 of the full exchange: at n = 10^6 that
/// is what lets it get past the top levels for d up to about 1 % of n, where the descent then
/// saves most of the exchange, at a worst case (every key differs) of 1.6 % over a full one.
pub const SLACK_FRACTION: u64 = 64;
/// How a key differs between the two replicas, seen from this side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Difference {
    /// Only the peer has this key.
    MissingHere(Vec<u8>),
    /// Only this replica has this key.
    MissingThere(Vec<u8>),
    /// Both have it with different values.
    ValueDiffers(Vec<u8>),
}

impl Difference {
    /// The key.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn key(&self) -> &[u8] {
        match self {
            Difference::MissingHere(k)
            | Difference::MissingThere(k)
            | Difference::ValueDiffers(k) => k,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    /// Nothing sent or received yet.
    Idle,
    /// We (the initiator) sent our root.
    SentHello,
    /// We sent the hashes of these nodes, all at binary level `level`.
    SentNodes { level: u8, sent: BTreeSet<u32> },
    /// We (the responder) asked for the initiator's entries under these nodes.
    SentPull { nodes: BTreeSet<u32> },
    /// We (the initiator) sent our entries under these nodes; the responder answers `Delta`.
    SentKeys { covers: BTreeSet<u32> },
    /// Finished with this result.
    Done(Vec<Difference>),
}

/// One side of a sync between two replicas: feed it the peer's frames, send what it returns.
///
/// The initiator sends its root; then the sides take turns sending, for every node found
/// different, the hashes of its descendants one fan-out step down. At every turn the side about
/// to send weighs descending against stopping, using the initiator's per-node weights (the
/// bytes its entries there would take): it stops when the subtrees are so small, or the
/// differences so dense, that sending entries costs less than another step of hashes, and
/// always before the session could cost more than a full exchange (the initiator sending every
/// entry, the responder answering with its differing ones) plus [`SyncSession::slack`]. To
/// stop, the initiator sends its entries under the differing nodes (`Keys`) and the responder
/// asks for them (`Pull`); the responder ends with a `Delta` of only its differing entries, and
/// both sides end with the exact set of differing keys.
///
/// Messages: at most ⌈depth / log2 fan-out⌉ + 4. Any message out of order, from a tree built
/// or configured differently, or naming nodes the session did not ask about is an error;
/// [`SyncSession::reset`] starts over.
#[derive(Debug)]
pub struct SyncSession<'a, H: MerkleHasher = Sha256> {
    tree: &'a SyncTree<H>,
    bits: u8,
    initiator: bool,
    state: State,
    /// Bytes of every frame sent and received so far: both sides count the same.
    spent: u64,
    /// The initiator's full-exchange cost, the budget's base.
    full: u64,
}

/// What the side about to send does with the nodes it found different.
pub(super) enum Step {
    Descend,
    Stop,
}

impl<'a, H: MerkleHasher> SyncSession<'a, H> {
    /// A session over the local replica's tree (either side) with fan-out [`DEFAULT_FANOUT`].
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new(tree: &'a SyncTree<H>) -> Self {
        Self {
            tree,
            bits: DEFAULT_FANOUT.trailing_zeros() as u8,
            initiator: false,
            state: State::Idle,
            spent: 0,
            full: 0,
        }
    }

    /// A session descending `fanout` children a step: ⌈depth / log2 fanout⌉ steps, so fewer
    /// round trips for a wider fan-out, at more hashes a differing node. Both sides must use
    /// the same fan-out.
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::InvalidFanout`] unless `fanout` is a power of two from 2 to [`MAX_FANOUT`].
    pub fn with_fanout(tree: &'a SyncTree<H>, fanout: u32) -> Result<Self, Error> {
        if !fanout.is_power_of_two() || !(2..=MAX_FANOUT).contains(&fanout) {
            return Err(Error::InvalidFanout(fanout));
        }
        let mut s = Self::new(tree);
        s.bits = fanout.trailing_zeros() as u8;
        Ok(s)
    }

    /// The fan-out.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn fanout(&self) -> u32 {
        1 << self.bits
    }

    /// The most a session may cost beyond a full exchange, in bytes: the room it may spend on
    /// steps of hashes that the differing nodes' weights have not yet shown to pay. It is the
    /// larger of [`SLACK`] (64 KiB) and 1/[`SLACK_FRACTION`] of the full exchange, but at most an
    /// eighth of the full exchange for small trees, and never less than two steps of fan-out
    /// hashes with their weights and a frame's overhead. It is fixed for a pair of replicas: it
    /// never grows with the number of differences. The responder knows the full exchange's
    /// size only from the initiator's `Hello`, so before it (and for a session not started)
    /// this is the floor.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn slack(&self) -> u64 {
        let dlen = H::Digest::default().as_ref().len() as u64;
        let floor = 2 * (u64::from(self.fanout()) * (dlen + 4 + 10) + 64);
        let room = SLACK.max(self.full / SLACK_FRACTION).min(self.full / 8);
        floor.max(room)
    }

    /// Starts over, forgetting all progress.
    ///
    /// Computes in **O(1)** time.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.spent = 0;
        self.full = 0;
        self.initiator = false;
    }

    /// The initiator's first frame (our root).
    ///
    /// Computes in **O(1)** time.
    pub fn start(&mut self) -> Frame<H::Digest> {
        self.reset();
        self.initiator = true;
        self.full = self.tree.full_exchange_bytes();
        self.state = State::SentHello;
        self.send(Message::Hello {
            root: self.tree.root(),
            weight: self.tree.weight(1),
        })
    }

    /// The initiator's first frame of a plain full exchange: every entry at once (one round
    /// trip, the yardstick the descent is measured against, and the cheaper choice when most
    /// keys are known to differ).
    ///
    /// Computes in **O(n)** time for the n keys of the tree.
    pub fn start_full(&mut self) -> Frame<H::Digest> {
        self.reset();
        self.initiator = true;
        self.full = self.tree.full_exchange_bytes();
        let covers: BTreeSet<u32> = [1].into();
        let reply = self.keys_message(&covers);
        self.state = State::SentKeys { covers };
        reply
    }

    /// Whether the session has its result.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The differing keys, sorted, once the session is done.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn differences(&self) -> Option<&[Difference]> {
        match &self.state {
            State::Done(d) => Some(d),
            _ => None,
        }
    }

    /// Bytes of every frame this side sent and received in this session.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.spent
    }

    fn send(&mut self, message: Message<H::Digest>) -> Frame<H::Digest> {
        let f = Frame {
            hasher: H::ID,
            depth: self.tree.depth,
            fanout_log2: self.bits,
            message,
        };
        self.spent += f.encoded_len() as u64;
        f
    }

    fn expected(&self) -> &'static str {
        match self.state {
            State::Idle => "Hello or Keys",
            State::SentHello => "Nodes, Pull or Equal",
            State::SentNodes { .. } => "Nodes one step down, Pull, Keys or Equal",
            State::SentPull { .. } => "Keys",
            State::SentKeys { .. } => "Delta",
            State::Done(_) => "nothing (session done)",
        }
    }

    /// Handles the peer's frame; returns the frame to send back, if any.
    ///
    /// Computes in **O(f · (entries + log b))** time for a frame of f nodes or buckets (b keys per
    /// bucket): each node asked about is compared, each bucket's keys merged with ours.
    ///
    /// # Errors
    /// - [`Error::HasherMismatch`] / [`Error::DepthMismatch`] / [`Error::FanoutMismatch`] for a
    ///   frame from a tree built or a session configured differently.
    /// - [`Error::UnexpectedMessage`] for a message out of order.
    /// - [`Error::UnexpectedNodes`] for nodes or buckets the session did not ask about.
    /// - [`Error::MisplacedKey`] for a key listed under a bucket it does not hash to, or a
    ///   bucket whose keys are not strictly ascending.
    /// - [`Error::InconsistentDelta`] for a `Delta` that contradicts the entries it answers.
    ///
    /// On error the session is unchanged; call [`SyncSession::reset`] to start over.
    pub fn handle(&mut self, frame: &Frame<H::Digest>) -> Result<Option<Frame<H::Digest>>, Error> {
        if frame.hasher != H::ID {
            return Err(Error::HasherMismatch {
                ours: H::ID,
                theirs: frame.hasher,
            });
        }
        if frame.depth != self.tree.depth {
            return Err(Error::DepthMismatch {
                ours: self.tree.depth,
                theirs: frame.depth,
            });
        }
        if frame.fanout_log2 != self.bits {
            return Err(Error::FanoutMismatch {
                ours: self.fanout(),
                theirs: 1u32.checked_shl(u32::from(frame.fanout_log2)).unwrap_or(0),
            });
        }
        let unexpected = Error::UnexpectedMessage {
            expected: self.expected(),
            got: frame.message.kind(),
        };
        let before = (self.spent, self.full, self.initiator);
        self.spent += frame.encoded_len() as u64;
        let result = match (&self.state, &frame.message) {
            (State::Idle, Message::Hello { root, weight }) => {
                self.full = keys_len(1, *weight);
                if *root == self.tree.root() {
                    self.state = State::Done(Vec::new());
                    return Ok(Some(self.send(Message::Equal)));
                }
                let differing: BTreeSet<u32> = [1].into();
                Ok(Some(self.choose(0, differing, *weight)))
            }
            (State::Idle, Message::Keys { covers, buckets }) => {
                let covers: BTreeSet<u32> = covers.iter().copied().collect();
                if covers != BTreeSet::from([1]) {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.full = self.spent;
                self.answer_keys(&covers, buckets)
            }
            (State::SentHello | State::SentNodes { .. }, Message::Equal) => {
                self.state = State::Done(Vec::new());
                Ok(None)
            }
            (State::SentHello, Message::Nodes { level, groups }) if self.initiator => {
                let sent: BTreeSet<u32> = [1].into();
                self.receive_nodes(0, &sent, *level, groups)
            }
            (State::SentNodes { level: ours, sent }, Message::Nodes { level, groups }) => {
                let (ours, sent) = (*ours, sent.clone());
                self.receive_nodes(ours, &sent, *level, groups)
            }
            (State::SentHello, Message::Pull { nodes }) if self.initiator => {
                self.answer_pull(&BTreeSet::from([1]), nodes)
            }
            (State::SentNodes { sent, .. }, Message::Pull { nodes }) if self.initiator => {
                let sent = sent.clone();
                self.answer_pull(&sent, nodes)
            }
            (State::SentPull { nodes }, Message::Keys { covers, buckets }) => {
                let covers: BTreeSet<u32> = covers.iter().copied().collect();
                if &covers != nodes {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.answer_keys(&covers, buckets)
            }
            (State::SentNodes { sent, .. }, Message::Keys { covers, buckets })
                if !self.initiator =>
            {
                let set: BTreeSet<u32> = covers.iter().copied().collect();
                if set.is_empty() || set.len() != covers.len() || !set.is_subset(sent) {
                    return self.undo(before, Err(Error::UnexpectedNodes));
                }
                self.answer_keys(&set, buckets)
            }
            (State::SentKeys { covers }, Message::Delta { buckets }) => {
                let covers = covers.clone();
                self.apply_delta(&covers, buckets).map(|()| None)
            }
            _ => Err(unexpected),
        };
        self.undo(before, result)
    }

    /// Restores the byte counts if `result` is an error (the state only changes on success).
    fn undo<T>(&mut self, before: (u64, u64, bool), result: Result<T, Error>) -> Result<T, Error> {
        if result.is_err() {
            (self.spent, self.full, self.initiator) = before;
        }
        result
    }

    /// [`SyncSession::handle`] on the wire form: decodes the peer's bytes and encodes the reply.
    ///
    /// Computes as [`handle`](Self::handle), plus **O(bytes)** to decode and encode.
    ///
    /// # Errors
    /// As [`SyncSession::handle`], plus [`Error::Decode`] for malformed bytes.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let frame = Frame::<H::Digest>::from_bytes(bytes)?;
        Ok(self.handle(&frame)?.map(|reply| reply.to_bytes()))
    }

    /// The peer's hashes of the children of nodes we sent (`sent`, at binary level `ours`):
    /// checks they are whole groups under nodes we sent, one step down, then compares them
    /// with ours and chooses the next step.
    fn receive_nodes(
        &mut self,
        ours: u8,
        sent: &BTreeSet<u32>,
        level: u8,
        groups: &[NodeGroup<H::Digest>],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        let depth = self.tree.depth;
        let size = 1usize << (step_down(ours, self.bits, depth) - ours);
        // The initiator's groups carry weights; the responder's do not.
        let weighted = !self.initiator;
        let parents_ok = groups.windows(2).all(|w| w[0].parent < w[1].parent)
            && groups.iter().all(|g| sent.contains(&g.parent));
        let shapes_ok = groups
            .iter()
            .all(|g| g.hashes.len() == size && g.weights.len() == if weighted { size } else { 0 });
        if ours == depth
            || level != step_down(ours, self.bits, depth)
            || groups.is_empty()
            || !parents_ok
            || !shapes_ok
        {
            return Err(Error::UnexpectedNodes);
        }
        let shift = u32::from(level - ours);
        let mut differing = BTreeSet::new();
        let mut weight = 0u64;
        for g in groups {
            for (j, h) in g.hashes.iter().enumerate() {
                let child = (g.parent << shift) + j as u32;
                if self.tree.node(child) != *h {
                    differing.insert(child);
                    weight = weight.saturating_add(if weighted {
                        g.weights[j]
                    } else {
                        self.tree.weight(child)
                    });
                }
            }
        }
        if differing.is_empty() {
            self.state = State::Done(Vec::new());
            return Ok(Some(self.send(Message::Equal)));
        }
        Ok(Some(self.choose(level, differing, weight)))
    }

    /// Descends below `differing` (nodes at binary `level` whose subtrees the initiator's
    /// entries weigh `weight` bytes), or stops there, and sends the frame that says which.
    fn choose(&mut self, level: u8, differing: BTreeSet<u32>, weight: u64) -> Frame<H::Digest> {
        match self.step(level, &differing, weight) {
            Step::Descend => {
                let depth = self.tree.depth;
                let child = step_down(level, self.bits, depth);
                let shift = u32::from(child - level);
                let with_weights = self.initiator;
                let mut sent = BTreeSet::new();
                let groups = differing
                    .iter()
                    .map(|&p| {
                        let range = (p << shift)..((p + 1) << shift);
                        sent.extend(range.clone());
                        NodeGroup {
                            parent: p,
                            hashes: range.clone().map(|c| self.tree.node(c)).collect(),
                            weights: if with_weights {
                                range.map(|c| self.tree.weight(c)).collect()
                            } else {
                                Vec::new()
                            },
                        }
                    })
                    .collect();
                self.state = State::SentNodes { level: child, sent };
                self.send(Message::Nodes {
                    level: child,
                    groups,
                })
            }
            Step::Stop if self.initiator => {
                let reply = self.keys_message(&differing);
                self.state = State::SentKeys { covers: differing };
                reply
            }
            Step::Stop => {
                let reply = self.send(Message::Pull {
                    nodes: differing.iter().copied().collect(),
                });
                self.state = State::SentPull { nodes: differing };
                reply
            }
        }
    }

    /// The rule. Stopping now costs a `Keys` frame (and a `Pull` first, from the responder);
    /// descending costs a `Nodes` frame now, and at worst (every child differs, none lighter)
    /// the other side's stop right after. Descend only if that worst case keeps the session
    /// within a full exchange plus the slack, and if it pays: the step's hashes plus the stop
    /// one step down, were a single child of each node to differ, cost less than stopping now.
    fn step(&self, level: u8, differing: &BTreeSet<u32>, weight: u64) -> Step {
        let depth = self.tree.depth;
        if level == depth {
            return Step::Stop;
        }
        let dlen = H::Digest::default().as_ref().len() as u64;
        let n = differing.len();
        let size = 1u64 << (step_down(level, self.bits, depth) - level);
        let weights: u64 = if self.initiator {
            differing
                .iter()
                .map(|&p| {
                    let shift = u32::from(step_down(level, self.bits, depth) - level);
                    ((p << shift)..((p + 1) << shift))
                        .map(|c| varint_len(self.tree.weight(c)) as u64)
                        .sum::<u64>()
                })
                .sum()
        } else {
            0
        };
        let nodes = (HEADER + 6) as u64 + n as u64 * (4 + size * dlen) + weights;
        let children = n * size as usize;
        let stop_after = |covers: usize, w: u64| {
            // The other side stops next: the responder (after our initiator step) pulls first.
            keys_len(covers, w) + if self.initiator { pull_len(covers) } else { 0 }
        };
        let stop_now = keys_len(n, weight) + if self.initiator { 0 } else { pull_len(n) };
        let worst = self.spent + nodes + stop_after(children, weight);
        if worst > self.full.saturating_add(self.slack()) {
            return Step::Stop;
        }
        let sparse = nodes + stop_after(n, weight / size);
        if sparse < stop_now {
            Step::Descend
        } else {
            Step::Stop
        }
    }

    /// The initiator's entries under `covers`.
    fn keys_message(&mut self, covers: &BTreeSet<u32>) -> Frame<H::Digest> {
        let buckets = covers
            .iter()
            .flat_map(|&c| self.buckets_under(c))
            .filter(|&b| !self.tree.buckets[b as usize].is_empty())
            .map(|b| (b, self.tree.bucket_entries(b)))
            .collect();
        self.send(Message::Keys {
            covers: covers.iter().copied().collect(),
            buckets,
        })
    }

    /// The buckets below heap node `node`.
    fn buckets_under(&self, node: u32) -> std::ops::Range<u32> {
        let shift = u32::from(self.tree.depth - level_of(node));
        let first = 1u32 << self.tree.depth;
        ((node << shift) - first)..(((node + 1) << shift) - first)
    }

    fn under(&self, covers: &BTreeSet<u32>, bucket: u32) -> bool {
        let node = (1u32 << self.tree.depth) + bucket;
        (0..=self.tree.depth).any(|up| covers.contains(&(node >> up)))
    }

    fn answer_pull(
        &mut self,
        sent: &BTreeSet<u32>,
        nodes: &[u32],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        let set: BTreeSet<u32> = nodes.iter().copied().collect();
        if set.is_empty() || set.len() != nodes.len() || !set.is_subset(sent) {
            return Err(Error::UnexpectedNodes);
        }
        let reply = self.keys_message(&set);
        self.state = State::SentKeys { covers: set };
        Ok(Some(reply))
    }

    /// Checks the listed buckets are covered, ascending, each with its keys placed right and
    /// ascending.
    fn check_buckets<'b, I>(&self, covers: &BTreeSet<u32>, buckets: I) -> Result<(), Error>
    where
        I: Iterator<Item = (u32, &'b [(Vec<u8>, H::Digest)])> + Clone,
    {
        let ids: Vec<u32> = buckets.clone().map(|(b, _)| b).collect();
        let fits = ids.windows(2).all(|w| w[0] < w[1])
            && ids
                .iter()
                .all(|&b| b < (1u32 << self.tree.depth) && self.under(covers, b));
        if !fits {
            return Err(Error::UnexpectedNodes);
        }
        for (b, entries) in buckets {
            let placed = entries.iter().all(|(k, _)| self.tree.bucket_of(k) == b);
            let ascending = entries.windows(2).all(|w| w[0].0 < w[1].0);
            if !placed || !ascending {
                return Err(Error::MisplacedKey { bucket: b });
            }
        }
        Ok(())
    }

    /// The responder's end: compares the initiator's entries under `covers` with ours, learns
    /// the differences, and answers with a `Delta` of our side of them.
    fn answer_keys(
        &mut self,
        covers: &BTreeSet<u32>,
        buckets: &[BucketEntries<H::Digest>],
    ) -> Result<Option<Frame<H::Digest>>, Error> {
        self.check_buckets(covers, buckets.iter().map(|(b, e)| (*b, e.as_slice())))?;
        let theirs: BTreeMap<u32, &[Entry<H::Digest>]> =
            buckets.iter().map(|(b, e)| (*b, e.as_slice())).collect();
        let mut diff = Vec::new();
        let mut delta = Vec::new();
        for b in covers.iter().flat_map(|&c| self.buckets_under(c)) {
            let ours = &self.tree.buckets[b as usize];
            let listed = theirs.get(&b).copied().unwrap_or(&[]);
            if ours.is_empty() && listed.is_empty() {
                continue;
            }
            let mut d = BucketDelta {
                bucket: b,
                entries: Vec::new(),
                missing: Vec::new(),
            };
            let mut seen = 0;
            for (i, (k, h)) in listed.iter().enumerate() {
                match ours.get(k) {
                    None => {
                        d.missing.push(i as u32);
                        diff.push(Difference::MissingHere(k.clone()));
                    }
                    Some(o) => {
                        seen += 1;
                        if o != h {
                            d.entries.push((k.clone(), *o));
                            diff.push(Difference::ValueDiffers(k.clone()));
                        }
                    }
                }
            }
            if seen < ours.len() {
                let listed: BTreeMap<&[u8], ()> =
                    listed.iter().map(|(k, _)| (k.as_slice(), ())).collect();
                for (k, o) in ours {
                    if !listed.contains_key(k.as_slice()) {
                        d.entries.push((k.clone(), *o));
                        diff.push(Difference::MissingThere(k.clone()));
                    }
                }
                d.entries.sort_by(|x, y| x.0.cmp(&y.0));
            }
            if !d.entries.is_empty() || !d.missing.is_empty() {
                delta.push(d);
            }
        }
        diff.sort();
        self.state = State::Done(diff);
        Ok(Some(self.send(Message::Delta { buckets: delta })))
    }

    /// The initiator's end: the responder's `Delta` against the entries we sent.
    fn apply_delta(
        &mut self,
        covers: &BTreeSet<u32>,
        delta: &[BucketDelta<H::Digest>],
    ) -> Result<(), Error> {
        self.check_buckets(
            covers,
            delta.iter().map(|d| (d.bucket, d.entries.as_slice())),
        )?;
        let mut diff = Vec::new();
        for d in delta {
            let ours = &self.tree.buckets[d.bucket as usize];
            let keys: Vec<&Vec<u8>> = ours.keys().collect();
            let bad = Error::InconsistentDelta { bucket: d.bucket };
            let in_range = d.missing.iter().all(|&m| (m as usize) < keys.len());
            if !in_range || !d.missing.windows(2).all(|w| w[0] < w[1]) {
                return Err(bad);
            }
            for &m in &d.missing {
                diff.push(Difference::MissingThere(keys[m as usize].clone()));
            }
            for (k, h) in &d.entries {
                match ours.get(k) {
                    Some(o) if o == h => return Err(bad),
                    Some(_) => {
                        if d.missing.iter().any(|&m| keys[m as usize] == k) {
                            return Err(bad);
                        }
                        diff.push(Difference::ValueDiffers(k.clone()));
                    }
                    None => diff.push(Difference::MissingHere(k.clone())),
                }
            }
        }
        diff.sort();
        self.state = State::Done(diff);
        Ok(())
    }
}
