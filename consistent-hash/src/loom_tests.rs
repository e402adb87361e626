//! Loom models of SharedRing: readers see a whole ring, old or new; writers lose no update.
#![cfg(all(test, loom))]

use brick_consistent_hash::{HashRing, SharedRing};
use loom::sync::Arc;
use loom::thread;

const V: u32 = 4;

fn two_node_ring() -> HashRing<u8> {
    let mut r = HashRing::new(V).unwrap();
    r.add(1, 1).unwrap();
    r.add(2, 1).unwrap();
    r
}

/// A reader racing a writer sees either the complete old ring or the complete new one, and its
/// snapshot stays usable (not freed) after the writer swapped it out.
#[test]
fn reader_sees_old_or_new_ring_never_a_mix() {
    loom::model(|| {
        let shared = Arc::new(SharedRing::new(two_node_ring()));
        let writer = Arc::clone(&shared);
        let t = thread::spawn(move || {
            writer.update(|r| r.add(3, 1)).unwrap();
        });
        let snap = shared.snapshot();
        match snap.len() {
            2 => assert_eq!(snap.points(), 2 * V as usize),
            3 => assert_eq!(snap.points(), 3 * V as usize),
            n => panic!("ring with {n} nodes"),
        }
        t.join().unwrap();
        // The snapshot taken before or during the swap is still intact.
        assert!(snap.get(&7u64).is_some());
        assert!(snap.len() == 2 || snap.len() == 3);
        assert_eq!(shared.snapshot().len(), 3);
    });
}

/// Two writers adding different nodes at once: both nodes end up in the ring.
#[test]
fn concurrent_updates_are_not_lost() {
    loom::model(|| {
        let shared = Arc::new(SharedRing::new(two_node_ring()));
        let other = Arc::clone(&shared);
        let t = thread::spawn(move || other.update(|r| r.add(3, 1)).unwrap());
        shared.update(|r| r.add(4, 1)).unwrap();
        t.join().unwrap();
        let snap = shared.snapshot();
        let mut nodes: Vec<u8> = snap.nodes().map(|(n, _)| *n).collect();
        nodes.sort_unstable();
        assert_eq!(nodes, vec![1, 2, 3, 4]);
    });
}
