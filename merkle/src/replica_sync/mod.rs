//! Replica anti-entropy (replica sync): a Merkle summary of a key-value store over the key-hash space, and a
//! message protocol that finds exactly which keys two replicas disagree on, descending a
//! configurable fan-out at a time and stopping where sending entries is cheaper than hashes,
//! so that it never costs more than a full exchange plus [`SyncSession::slack`].

mod frame;
mod session;
mod tree;

pub use frame::{BucketDelta, BucketEntries, Entry, Frame, Message, NodeGroup};
pub use session::{DEFAULT_FANOUT, Difference, MAX_FANOUT, SLACK, SLACK_FRACTION, SyncSession};
pub use tree::{MAX_DEPTH, SyncTree};
