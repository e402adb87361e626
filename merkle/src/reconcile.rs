//! Rateless IBLT set reconciliation (Yang, Gilad, Alizadeh, "Practical Rateless Set
//! Reconciliation", SIGCOMM 2024): one side streams coded symbols of its set of (key, entry
//! hash) items, the other peels the difference out of them as they arrive, and stops the stream
//! once it has it, after about 1.35·d symbols for d differences, with no tree and no estimate
//! of d beforehand.

use crate::error::DecodeError;
use crate::replica_sync::Difference;
use crate::wire::{Reader, put_varint};
use crate::{Error, MerkleHasher, Sha256, SyncTree};
use std::collections::{BTreeMap, HashSet};

const MAGIC: &[u8; 3] = b"BRI";
const VERSION: u8 = 1;
/// Salt of the item checksums when the initiator does not choose one.
const DEFAULT_SALT: u64 = 0x7269_626c_742d_6272;
/// A key longer than this in a symbol is refused unless [`Reconciler::with_max_key`] says more.
pub const DEFAULT_MAX_KEY: usize = 1 << 16;
/// No more in flight than this many symbols a frame.
const MAX_BATCH: u64 = 4096;
const NIL: u32 = u32::MAX;

/// One coded symbol: the XOR of the items mapped to it, their count, and the XOR of their
/// checksums. A symbol holding exactly one item ("pure") gives that item back, and the checksum
/// tells a pure symbol from a mixture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodedSymbol<D> {
    /// Items added minus items removed (the sender's items, then the receiver's subtracted).
    pub count: i64,
    /// XOR of the items' checksums.
    pub check: u64,
    /// XOR of the entry hashes.
    pub hash: D,
    /// XOR of the key lengths.
    pub key_len: u64,
    /// XOR of the keys, each zero-padded to the longest; trailing zero bytes are dropped.
    pub key: Vec<u8>,
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Default + PartialEq> CodedSymbol<D> {
    /// Adds (`sign` = 1) or removes (−1) one item. The key sum may keep trailing zeros here;
    /// they are dropped on the wire ([`CodedSymbol::trimmed`]).
    #[inline]
    fn toggle(&mut self, key: &[u8], hash: &D, check: u64, sign: i64) {
        // Wrapping: a hostile count must not overflow into a panic.
        self.count = self.count.wrapping_add(sign);
        self.check ^= check;
        self.key_len ^= key.len() as u64;
        xor(self.hash.as_mut(), hash.as_ref());
        if self.key.len() < key.len() {
            self.key.resize(key.len(), 0);
        }
        xor(&mut self.key[..key.len()], key);
    }

    /// Subtracts another symbol of the same index (the receiver's own from the sender's).
    fn subtract(&mut self, other: &Self) {
        self.count = self.count.wrapping_sub(other.count);
        self.check ^= other.check;
        self.key_len ^= other.key_len;
        xor(self.hash.as_mut(), other.hash.as_ref());
        if self.key.len() < other.key.len() {
            self.key.resize(other.key.len(), 0);
        }
        xor(&mut self.key[..other.key.len()], &other.key);
    }

    /// The key sum without its trailing zero bytes.
    fn key_bytes(&self) -> &[u8] {
        let end = self.key.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        &self.key[..end]
    }

    /// The same symbol in its canonical form (the key sum's trailing zeros dropped).
    fn trimmed(mut self) -> Self {
        let end = self.key_bytes().len();
        self.key.truncate(end);
        self
    }

    fn is_empty(&self) -> bool {
        self.count == 0
            && self.check == 0
            && self.key_len == 0
            && self.hash == D::default()
            && self.key_bytes().is_empty()
    }

    fn wire_len(&self) -> usize {
        use crate::wire::varint_len;
        let key = self.key_bytes().len();
        varint_len(zigzag(self.count))
            + 8
            + self.hash.as_ref().len()
            + varint_len(self.key_len)
            + varint_len(key as u64)
            + key
    }
}

/// `acc ^= x`, eight bytes at a time.
#[inline]
fn xor(acc: &mut [u8], x: &[u8]) {
    let mut a = acc.chunks_exact_mut(8);
    let mut b = x.chunks_exact(8);
    for (a, b) in (&mut a).zip(&mut b) {
        let v = u64::from_ne_bytes(a[..8].try_into().unwrap_or_default())
            ^ u64::from_ne_bytes(b.try_into().unwrap_or_default());
        a.copy_from_slice(&v.to_ne_bytes());
    }
    for (a, b) in a.into_remainder().iter_mut().zip(b.remainder()) {
        *a ^= b;
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Symbols an initiator takes beyond 2 × both sets' sizes before it gives up on a peer. A
/// small difference decodes once some symbol holds exactly one of its items, and two items'
/// walks can agree for a long while: both map to index 0, and the heavy tail of the gaps
/// (density 1/(1 + i/2)) lets both jump far at once. Over 2 × 10^8 random pairs of walks, the
/// first index holding exactly one of the two was at 68 or beyond for 7.2 × 10^-6 of them,
/// 512 or beyond for 1.0 × 10^-8, and 1,024 or beyond for none (the tail falls about as
/// m^-3.3). A floor of 64 made honest two-item reconciliations fail at about the first rate.
/// 4,096 symbols of a small difference are a few hundred kilobytes at most: still a bound on
/// a peer that streams forever.
pub const SYMBOL_FLOOR: u64 = 4096;

/// The checksum of an item: it seeds the item's index sequence and tells pure symbols apart.
fn checksum<D: AsRef<[u8]>>(salt: u64, key: &[u8], hash: &D) -> u64 {
    let k = xxhash_rust::xxh3::xxh3_64_with_seed(key, salt);
    xxhash_rust::xxh3::xxh3_64_with_seed(hash.as_ref(), k)
}

/// The indices an item is mapped to: 0, then gaps drawn so that index i holds an item with
/// probability 1/(1 + i/2) (the paper's mapping): the first symbols hold most of the set,
/// later ones few, which is what lets any prefix of the stream decode a difference of the
/// matching size.
#[derive(Clone, Copy)]
struct Walk {
    index: u64,
    state: u64,
}

impl Walk {
    fn new(check: u64) -> Self {
        Self {
            index: 0,
            state: check,
        }
    }

    /// Moves to the next index (splitmix64 draws the gap's uniform variable).
    fn advance(&mut self) {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // The paper's sampler for a density of 1/(1 + i/2): with u uniform on (0, 1], the gap is
        // ⌈(i + 1.5)(1/√u − 1)⌉. The cast saturates, so a tiny u ends the walk at u64::MAX.
        let scale = 4_294_967_296.0 / ((z as f64) + 1.0).sqrt() - 1.0;
        // ⌈x⌉ by hand: `f64::ceil` is a library call on baseline x86-64, a third of the walk.
        let x = (self.index as f64 + 1.5) * scale;
        let t = x as u64;
        let gap = t.saturating_add(u64::from((t as f64) < x));
        self.index = self.index.saturating_add(gap.max(1));
    }
}

/// Recovered items waiting for the symbol at their next index: an intrusive list per index
/// below the horizon, and one list of the rest, redistributed each time the horizon doubles
/// (O(1) an item and index, no heap, no allocation per item). A decoder holds O(d) of them.
struct Schedule {
    walks: Vec<Walk>,
    link: Vec<u32>,
    heads: Vec<u32>,
    far: Vec<u32>,
}

impl Schedule {
    fn new() -> Self {
        Self {
            walks: Vec::new(),
            link: Vec::new(),
            heads: vec![NIL; 64],
            far: Vec::new(),
        }
    }

    fn add(&mut self, walk: Walk) {
        let id = self.walks.len() as u32;
        self.walks.push(walk);
        self.link.push(NIL);
        self.file(id);
    }

    fn file(&mut self, id: u32) {
        let at = self.walks[id as usize].index;
        if at < self.heads.len() as u64 {
            self.link[id as usize] = self.heads[at as usize];
            self.heads[at as usize] = id;
        } else {
            self.far.push(id);
        }
    }

    /// Calls `f` with every item mapped to index `i` (called for i = 0, 1, 2, … in turn) and
    /// moves each to its next index.
    fn due(&mut self, i: u64, mut f: impl FnMut(u32)) {
        while i >= self.heads.len() as u64 {
            let grown = self.heads.len() * 2;
            self.heads.resize(grown, NIL);
            for id in std::mem::take(&mut self.far) {
                self.file(id);
            }
        }
        let mut id = std::mem::replace(&mut self.heads[i as usize], NIL);
        while id != NIL {
            let next = self.link[id as usize];
            f(id);
            self.walks[id as usize].advance();
            self.file(id);
            id = next;
        }
    }
}

/// A side's own items in one arena (keys back to back, in the tree's order) with their walks,
/// and its symbols computed a block at a time: each block doubles the symbols computed, and is
/// filled by one sequential pass over the items, each toggling the block's symbols its walk
/// lands on. Sequential passes keep every item's bytes in cache order; the n log m cost is the
/// same as visiting items index by index, without a cache miss per toggle.
struct Encoder<D> {
    keys: Vec<u8>,
    ends: Vec<u32>,
    hashes: Vec<D>,
    checks: Vec<u64>,
    walks: Vec<Walk>,
    /// Symbols `base ..` computed and not yet taken.
    block: std::collections::VecDeque<CodedSymbol<D>>,
    base: u64,
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Default + PartialEq + Copy> Encoder<D> {
    fn new<'t>(items: impl Iterator<Item = (&'t [u8], &'t D)>) -> Self
    where
        D: 't,
    {
        let (mut keys, mut ends, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
        for (k, h) in items {
            keys.extend_from_slice(k);
            ends.push(keys.len() as u32);
            hashes.push(*h);
        }
        Self {
            keys,
            ends,
            hashes,
            checks: Vec::new(),
            walks: Vec::new(),
            block: std::collections::VecDeque::new(),
            base: 0,
        }
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.keys[start..self.ends[i] as usize]
    }

    /// Starts the stream over under `salt`.
    fn load(&mut self, salt: u64) {
        self.checks = (0..self.len())
            .map(|i| checksum(salt, self.key(i), &self.hashes[i]))
            .collect();
        self.walks = self.checks.iter().map(|&c| Walk::new(c)).collect();
        self.block.clear();
        self.base = 0;
    }

    /// Our symbol at index `i`, for i = 0, 1, 2, … in turn.
    fn take(&mut self, i: u64) -> CodedSymbol<D> {
        debug_assert_eq!(i, self.base);
        if self.block.is_empty() {
            let lo = self.base;
            let hi = (2 * lo).max(lo + 64);
            self.block
                .resize((hi - lo) as usize, CodedSymbol::default());
            let mut start = 0usize;
            for (j, walk) in self.walks.iter_mut().enumerate() {
                let end = self.ends[j] as usize;
                let key = &self.keys[start..end];
                start = end;
                while walk.index < hi {
                    self.block[(walk.index - lo) as usize].toggle(
                        key,
                        &self.hashes[j],
                        self.checks[j],
                        1,
                    );
                    walk.advance();
                }
            }
        }
        self.base += 1;
        self.block.pop_front().unwrap_or_default()
    }
}

/// One reconciliation message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymbolMessage<D> {
    /// The initiator asks for the stream.
    Request {
        /// Salt of the item checksums and index sequences: an initiator that picks it at random
        /// keeps a peer from crafting keys that collide or never peel.
        salt: u64,
        /// The most symbols the initiator will take (0: it set no bound of its own).
        limit: u64,
    },
    /// Consecutive symbols of the responder's stream.
    Symbols {
        /// The index of the first.
        first: u64,
        /// The responder's number of items.
        set_len: u64,
        /// The symbols.
        symbols: Vec<CodedSymbol<D>>,
    },
    /// The initiator has the difference: stop the stream.
    Stop {
        /// Symbols it used.
        used: u64,
    },
    /// The initiator has taken this many symbols: the responder may run [`window`] ahead of
    /// it. Sent when half a window has arrived since the last, so a stream is never stalled by
    /// a decoder that keeps up, and never more than a window ahead of one that does not.
    Ack {
        /// Symbols received so far.
        received: u64,
    },
}

/// How far ahead of the initiator's last acknowledgement the responder may stream, in
/// symbols: 64 plus an eighth of what was acknowledged, so what is in flight when the stream
/// stops is bounded by about 12 % of the symbols it took (plus a few frames at the start).
///
/// Computes in **O(1)** time.
#[must_use]
pub fn window(acked: u64) -> u64 {
    64 + acked / 8
}

impl<D> SymbolMessage<D> {
    fn kind(&self) -> &'static str {
        match self {
            SymbolMessage::Request { .. } => "Request",
            SymbolMessage::Symbols { .. } => "Symbols",
            SymbolMessage::Stop { .. } => "Stop",
            SymbolMessage::Ack { .. } => "Ack",
        }
    }
}

/// A reconciliation message with its header: `"BRI"`, version 1, the hasher id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolFrame<D> {
    /// [`MerkleHasher::ID`] of the sender.
    pub hasher: u8,
    /// The message.
    pub message: SymbolMessage<D>,
}

impl<D: AsRef<[u8]> + AsMut<[u8]> + Default + PartialEq> SymbolFrame<D> {
    /// The versioned wire form: `"BRI"`, version, hasher id, type, then LEB128 numbers; a symbol
    /// is its zigzag count, 8-byte checksum, hash, key-length XOR, key length and key bytes.
    ///
    /// Computes in **O(bytes)** time.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&[VERSION, self.hasher]);
        match &self.message {
            SymbolMessage::Request { salt, limit } => {
                out.push(1);
                out.extend_from_slice(&salt.to_le_bytes());
                put_varint(&mut out, *limit);
            }
            SymbolMessage::Symbols {
                first,
                set_len,
                symbols,
            } => {
                out.push(2);
                put_varint(&mut out, *first);
                put_varint(&mut out, *set_len);
                put_varint(&mut out, symbols.len() as u64);
                for s in symbols {
                    put_varint(&mut out, zigzag(s.count));
                    out.extend_from_slice(&s.check.to_le_bytes());
                    out.extend_from_slice(s.hash.as_ref());
                    put_varint(&mut out, s.key_len);
                    put_varint(&mut out, s.key.len() as u64);
                    out.extend_from_slice(&s.key);
                }
            }
            SymbolMessage::Stop { used } => {
                out.push(3);
                put_varint(&mut out, *used);
            }
            SymbolMessage::Ack { received } => {
                out.push(4);
                put_varint(&mut out, *received);
            }
        }
        out
    }

    /// The length of [`SymbolFrame::to_bytes`], without encoding.
    ///
    /// Computes in **O(symbols)** time.
    pub fn encoded_len(&self) -> usize {
        use crate::wire::varint_len;
        6 + match &self.message {
            SymbolMessage::Request { limit, .. } => 8 + varint_len(*limit),
            SymbolMessage::Symbols {
                first,
                set_len,
                symbols,
            } => {
                varint_len(*first)
                    + varint_len(*set_len)
                    + varint_len(symbols.len() as u64)
                    + symbols.iter().map(CodedSymbol::wire_len).sum::<usize>()
            }
            SymbolMessage::Stop { used } => varint_len(*used),
            SymbolMessage::Ack { received } => varint_len(*received),
        }
    }

    /// Decodes [`SymbolFrame::to_bytes`] output; malformed input is an error, never a panic, and
    /// every count is checked against the bytes left before anything is reserved.
    ///
    /// Computes in **O(bytes)** time.
    ///
    /// # Errors
    /// - [`Error::Decode`] with the [`DecodeError`] found.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::open(bytes, MAGIC, VERSION)?;
        let hasher = r.u8()?;
        let dlen = D::default().as_ref().len();
        let message = match r.u8()? {
            1 => SymbolMessage::Request {
                salt: r.u64()?,
                limit: r.varint()?,
            },
            2 => {
                let first = r.varint()?;
                let set_len = r.varint()?;
                let n = r.varint_count(11 + dlen)?;
                let mut symbols = Vec::with_capacity(n);
                for _ in 0..n {
                    let count = unzigzag(r.varint()?);
                    let check = r.u64()?;
                    let hash = r.digest()?;
                    let key_len = r.varint()?;
                    let klen = r.varint_count(1)?;
                    let key = r.take(klen)?.to_vec();
                    if key.last() == Some(&0) {
                        // Not the canonical (trimmed) form: no encoder writes it.
                        return Err(DecodeError::BadLength(klen as u64).into());
                    }
                    symbols.push(CodedSymbol {
                        count,
                        check,
                        hash,
                        key_len,
                        key,
                    });
                }
                SymbolMessage::Symbols {
                    first,
                    set_len,
                    symbols,
                }
            }
            3 => SymbolMessage::Stop { used: r.varint()? },
            4 => SymbolMessage::Ack {
                received: r.varint()?,
            },
            t => return Err(DecodeError::UnknownType(t).into()),
        };
        r.finish()?;
        Ok(SymbolFrame { hasher, message })
    }
}

/// An item a decoder has recovered: the peer's (`sign` +1) or ours (−1).
struct Recovered<D> {
    key: Vec<u8>,
    hash: D,
    check: u64,
    sign: i64,
}

enum Role {
    Idle,
    /// Initiator: decoding the responder's stream; the last acknowledgement sent.
    Decoding {
        acked: u64,
    },
    /// Responder: producing symbols until stopped or at the limit, `window` ahead of `acked`.
    Encoding {
        limit: u64,
        acked: u64,
    },
    Done,
}

/// One side of a rateless IBLT reconciliation of two [`SyncTree`]s' (key, entry hash) sets.
///
/// The initiator sends [`Reconciler::start`]'s request; the responder answers with a first
/// frame of symbols and keeps sending [`Reconciler::next_frame`] without waiting; the
/// initiator feeds each frame to [`Reconciler::handle`], which subtracts its own items,
/// peels every symbol that becomes pure, and answers `Stop` once the first symbol (which holds
/// every item) is empty: the difference is complete. Only the initiator learns it
/// ([`Reconciler::differences`]); it then pushes what the peer lacks and pulls what it lacks.
///
/// Memory: the set's items with their index walks (O(n)) on each side, and O(d) symbols and
/// recovered items in the decoder. A peer that streams past the limit, out of order, or
/// symbols that decode to items contradicting our own set gets a typed error.
pub struct Reconciler<'a, H: MerkleHasher = Sha256> {
    tree: &'a SyncTree<H>,
    salt: u64,
    limit: Option<u64>,
    max_key: usize,
    own: Encoder<H::Digest>,
    role: Role,
    /// Decoder: the received symbols minus our items and the recovered ones.
    cells: Vec<CodedSymbol<H::Digest>>,
    recovered: Vec<Recovered<H::Digest>>,
    recovered_schedule: Schedule,
    seen: HashSet<(i64, u64)>,
    pure: Vec<usize>,
    /// Encoder: symbols produced so far.
    produced: u64,
    peer_len: u64,
    result: Option<Vec<Difference>>,
}

impl<'a, H: MerkleHasher> std::fmt::Debug for Reconciler<'a, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("items", &self.own.len())
            .field("symbols", &self.cells.len().max(self.produced as usize))
            .field("recovered", &self.recovered.len())
            .field("done", &self.result.is_some())
            .finish()
    }
}

impl<'a, H: MerkleHasher> Reconciler<'a, H> {
    /// A reconciler over a replica's tree (either side).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new(tree: &'a SyncTree<H>) -> Self {
        Self {
            tree,
            salt: DEFAULT_SALT,
            limit: None,
            max_key: DEFAULT_MAX_KEY,
            own: Encoder::new(tree.iter()),
            role: Role::Idle,
            cells: Vec::new(),
            recovered: Vec::new(),
            recovered_schedule: Schedule::new(),
            seen: HashSet::new(),
            pure: Vec::new(),
            produced: 0,
            peer_len: 0,
            result: None,
        }
    }

    /// Salts the item checksums (the initiator's choice; the responder takes the request's).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn with_salt(mut self, salt: u64) -> Self {
        self.salt = salt;
        self
    }

    /// The most symbols the initiator takes before it gives up with [`Error::SymbolLimit`]
    /// (default: 2 × both sets' sizes + [`SYMBOL_FLOOR`], which an honest stream exceeds with
    /// a probability too small to measure).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn with_limit(mut self, symbols: u64) -> Self {
        self.limit = Some(symbols);
        self
    }

    /// The longest key a symbol may carry (default [`DEFAULT_MAX_KEY`]).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn with_max_key(mut self, bytes: usize) -> Self {
        self.max_key = bytes;
        self
    }

    fn frame(&self, message: SymbolMessage<H::Digest>) -> SymbolFrame<H::Digest> {
        SymbolFrame {
            hasher: H::ID,
            message,
        }
    }

    /// Loads our items into the index walks under the session's salt.
    fn load(&mut self) {
        self.own.load(self.salt);
    }

    /// The initiator's request.
    ///
    /// Computes in **O(n)** time for the n keys of the tree (their checksums are loaded under the
    /// salt).
    pub fn start(&mut self) -> SymbolFrame<H::Digest> {
        self.load();
        self.cells.clear();
        self.recovered.clear();
        self.recovered_schedule = Schedule::new();
        self.seen.clear();
        self.result = None;
        self.role = Role::Decoding { acked: 0 };
        let limit = self.limit.unwrap_or(0);
        self.frame(SymbolMessage::Request {
            salt: self.salt,
            limit,
        })
    }

    /// Whether the initiator has the difference, or the responder was stopped.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_done(&self) -> bool {
        matches!(self.role, Role::Done)
    }

    /// The differing keys from this side's view, sorted, once the initiator is done.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn differences(&self) -> Option<&[Difference]> {
        self.result.as_deref()
    }

    /// Symbols produced (responder) or received (initiator) so far.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn symbols(&self) -> u64 {
        self.produced.max(self.cells.len() as u64)
    }

    /// Handles the peer's frame; returns the frame to send back, if any. The responder answers
    /// a request with the first symbols (send more with [`Reconciler::next_frame`]) and takes
    /// `Ack`s and the `Stop` silently; the initiator answers symbols with an `Ack` every half
    /// window, and with `Stop` once it has the difference ([`Reconciler::is_done`]).
    ///
    /// Computes in **O(s log n)** expected time for a frame of s symbols (each symbol's cells are
    /// peeled, and each recovered item checked against the own set); a request also loads the n own
    /// keys, O(n).
    ///
    /// # Errors
    /// - [`Error::HasherMismatch`] for a peer hashing entries differently.
    /// - [`Error::UnexpectedMessage`] for a message out of turn.
    /// - [`Error::BadSymbols`] for symbols out of order or replayed, a symbol with a key over
    ///   the limit, or decoded items that contradict our own set.
    /// - [`Error::SymbolLimit`] once the peer has sent the configured most symbols without the
    ///   difference decoding.
    ///
    /// After an error the session cannot go on; start a new one.
    pub fn handle(
        &mut self,
        frame: &SymbolFrame<H::Digest>,
    ) -> Result<Option<SymbolFrame<H::Digest>>, Error> {
        if frame.hasher != H::ID {
            return Err(Error::HasherMismatch {
                ours: H::ID,
                theirs: frame.hasher,
            });
        }
        match (&self.role, &frame.message) {
            (Role::Idle, SymbolMessage::Request { salt, limit }) => {
                self.salt = *salt;
                self.load();
                self.produced = 0;
                let theirs = if *limit == 0 { u64::MAX } else { *limit };
                self.role = Role::Encoding {
                    limit: theirs.min(self.limit.unwrap_or(u64::MAX)),
                    acked: 0,
                };
                Ok(self.next_frame())
            }
            (Role::Encoding { .. }, SymbolMessage::Stop { .. }) => {
                self.role = Role::Done;
                Ok(None)
            }
            (Role::Encoding { limit, acked }, SymbolMessage::Ack { received }) => {
                if *received < *acked || *received > self.produced {
                    return Err(Error::BadSymbols(
                        "an acknowledgement of symbols never sent",
                    ));
                }
                self.role = Role::Encoding {
                    limit: *limit,
                    acked: *received,
                };
                Ok(None)
            }
            (
                &Role::Decoding { acked },
                SymbolMessage::Symbols {
                    first,
                    set_len,
                    symbols,
                },
            ) => {
                if *first != self.cells.len() as u64 {
                    return Err(Error::BadSymbols("symbols out of order or replayed"));
                }
                if *first == 0 {
                    self.peer_len = *set_len;
                } else if *set_len != self.peer_len {
                    return Err(Error::BadSymbols("the peer's set size changed mid-stream"));
                }
                let limit = self.limit.unwrap_or_else(|| {
                    (self.own.len() as u64)
                        .saturating_add(self.peer_len)
                        .saturating_mul(2)
                        .saturating_add(SYMBOL_FLOOR)
                });
                for s in symbols {
                    if self.cells.len() as u64 >= limit {
                        return Err(Error::SymbolLimit { limit });
                    }
                    if s.key.len() > self.max_key || s.key_len > self.max_key as u64 {
                        return Err(Error::BadSymbols("a key longer than the limit"));
                    }
                    self.receive(s.clone())?;
                    if self.cells[0].is_empty() {
                        self.result = Some(self.finish()?);
                        self.role = Role::Done;
                        let used = self.cells.len() as u64;
                        return Ok(Some(self.frame(SymbolMessage::Stop { used })));
                    }
                }
                let received = self.cells.len() as u64;
                if received - acked >= window(acked) / 2 {
                    self.role = Role::Decoding { acked: received };
                    return Ok(Some(self.frame(SymbolMessage::Ack { received })));
                }
                Ok(None)
            }
            _ => Err(Error::UnexpectedMessage {
                expected: match self.role {
                    Role::Idle => "Request",
                    Role::Decoding { .. } => "Symbols",
                    Role::Encoding { .. } => "Stop or Ack",
                    Role::Done => "nothing (session done)",
                },
                got: frame.message.kind(),
            }),
        }
    }

    /// [`Reconciler::handle`] on the wire form.
    ///
    /// Computes as [`handle`](Self::handle), plus **O(bytes)** to decode and encode.
    ///
    /// # Errors
    /// As [`Reconciler::handle`], plus [`Error::Decode`] for malformed bytes.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let frame = SymbolFrame::<H::Digest>::from_bytes(bytes)?;
        Ok(self.handle(&frame)?.map(|f| f.to_bytes()))
    }

    /// The responder's next frame of symbols: 1 symbol first (enough when nothing differs),
    /// then frames of 1/32 of what was sent so far (at least 8, at most 4,096), so the stream
    /// overshoots the decoder's need by about 3 %. `None` once stopped, at the limit, or a
    /// [`window`] ahead of the initiator's last `Ack` (send again after the next one).
    ///
    /// Computes in **O(b log n)** expected time for a frame of b symbols (each symbol sums the
    /// items mapped to it; an item maps to O(log n) of the first n symbols).
    pub fn next_frame(&mut self) -> Option<SymbolFrame<H::Digest>> {
        let Role::Encoding { limit, acked } = self.role else {
            return None;
        };
        let want = if self.produced == 0 {
            1
        } else {
            (self.produced / 32).clamp(8, MAX_BATCH)
        };
        let ahead = acked.saturating_add(window(acked));
        let end = self.produced.saturating_add(want).min(limit).min(ahead);
        if end <= self.produced {
            return None;
        }
        let first = self.produced;
        let symbols = (first..end).map(|i| self.encode(i)).collect();
        self.produced = end;
        Some(self.frame(SymbolMessage::Symbols {
            first,
            set_len: self.own.len() as u64,
            symbols,
        }))
    }

    /// Our items' symbol at index `i` (called for 0, 1, 2, … in turn), in canonical form.
    fn encode(&mut self, i: u64) -> CodedSymbol<H::Digest> {
        self.own.take(i).trimmed()
    }

    /// Takes the peer's next symbol: subtracts our items and every item recovered so far, then
    /// peels whatever became pure.
    fn receive(&mut self, mut s: CodedSymbol<H::Digest>) -> Result<(), Error> {
        let i = self.cells.len() as u64;
        s.subtract(&self.own.take(i));
        let recovered = &self.recovered;
        self.recovered_schedule.due(i, |id| {
            let r = &recovered[id as usize];
            s.toggle(&r.key, &r.hash, r.check, -r.sign);
        });
        self.cells.push(s);
        self.pure.push(i as usize);
        self.peel()
    }

    /// The item a symbol holds if it holds exactly one.
    fn pure_item(&self, s: &CodedSymbol<H::Digest>) -> Option<(Vec<u8>, u64)> {
        if !(s.count == 1 || s.count == -1) || s.key_len > self.max_key as u64 {
            return None;
        }
        let len = s.key_len as usize;
        let bytes = s.key_bytes();
        if bytes.len() > len {
            return None;
        }
        let mut key = bytes.to_vec();
        key.resize(len, 0);
        let check = checksum(self.salt, &key, &s.hash);
        (check == s.check).then_some((key, check))
    }

    fn peel(&mut self) -> Result<(), Error> {
        while let Some(c) = self.pure.pop() {
            let Some((key, check)) = self.pure_item(&self.cells[c]) else {
                continue;
            };
            let (sign, hash) = (self.cells[c].count, self.cells[c].hash);
            let ours = self.tree.entry_hash(&key) == Some(hash);
            if ours != (sign == -1) {
                return Err(Error::BadSymbols(
                    "a decoded item contradicts our own set (forged or corrupted symbols)",
                ));
            }
            if !self.seen.insert((sign, check)) {
                return Err(Error::BadSymbols("the same item decoded twice"));
            }
            if self.recovered.len() > 2 * self.cells.len() + 64 {
                return Err(Error::BadSymbols(
                    "more items decoded than the symbols can hold",
                ));
            }
            // Take it out of every symbol it is in so far, and of those still to come.
            let m = self.cells.len() as u64;
            let mut walk = Walk::new(check);
            while walk.index < m {
                let j = walk.index as usize;
                self.cells[j].toggle(&key, &hash, check, -sign);
                self.pure.push(j);
                walk.advance();
            }
            self.recovered_schedule.add(walk);
            self.recovered.push(Recovered {
                key,
                hash,
                check,
                sign,
            });
        }
        Ok(())
    }

    /// The differences from the recovered items, once the first symbol is empty.
    fn finish(&self) -> Result<Vec<Difference>, Error> {
        let mut by_key: BTreeMap<&[u8], (bool, bool)> = BTreeMap::new();
        for r in &self.recovered {
            let e = by_key.entry(&r.key).or_default();
            let slot = if r.sign == 1 { &mut e.0 } else { &mut e.1 };
            if *slot {
                return Err(Error::BadSymbols(
                    "two values decoded for one key on one side",
                ));
            }
            *slot = true;
        }
        let mut out = Vec::with_capacity(by_key.len());
        for (k, (theirs, ours)) in by_key {
            let here = self.tree.entry_hash(k).is_some();
            out.push(match (theirs, ours) {
                (true, true) => Difference::ValueDiffers(k.to_vec()),
                // Their value for a key we hold must come with ours, decoded too.
                (true, false) if !here => Difference::MissingHere(k.to_vec()),
                (false, true) => Difference::MissingThere(k.to_vec()),
                _ => return Err(Error::BadSymbols("an incomplete difference decoded")),
            });
        }
        out.sort();
        Ok(out)
    }
}
