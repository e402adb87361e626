//! Two replicas of a key-value store drift apart; a sync over an in-memory channel finds the
//! differing keys, and the repair copies just those values. Prints messages, bytes and keys.
use brick_merkle::{Difference, SyncSession, SyncTree};
use std::collections::BTreeMap;
use std::sync::mpsc;

fn main() {
    let mut a: BTreeMap<String, String> = (0..100_000)
        .map(|i| (format!("order:{i:06}"), format!("status=paid;v={i}")))
        .collect();
    let mut b = a.clone();
    // Replica B missed a few writes; replica A missed a delete.
    a.insert("order:000042".into(), "status=refunded;v=43".into());
    a.insert("order:100000".into(), "status=new;v=1".into());
    b.remove("order:031337");
    let build = |m: &BTreeMap<String, String>| {
        let mut t: SyncTree = SyncTree::with_expected_keys(m.len() as u64);
        t.extend(m.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())));
        t
    };
    let (tree_a, tree_b) = (build(&a), build(&b));

    // Each frame crosses a channel as bytes, as it would cross a network.
    let (to_b, at_b) = mpsc::channel::<Vec<u8>>();
    let (to_a, at_a) = mpsc::channel::<Vec<u8>>();
    let (mut sa, mut sb) = (SyncSession::new(&tree_a), SyncSession::new(&tree_b));
    let (mut messages, mut bytes) = (1, 0);
    let hello = sa.start().to_bytes();
    bytes += hello.len();
    to_b.send(hello).expect("channel open");
    loop {
        let (session, inbox, outbox) = if messages % 2 == 1 {
            (&mut sb, &at_b, &to_a)
        } else {
            (&mut sa, &at_a, &to_b)
        };
        match session
            .handle_bytes(&inbox.recv().expect("a frame"))
            .expect("valid protocol")
        {
            Some(wire) => {
                bytes += wire.len();
                messages += 1;
                outbox.send(wire).expect("channel open");
            }
            None => break,
        }
    }
    let diff = sa.differences().expect("session done").to_vec();
    let full: usize = a.iter().map(|(k, v)| k.len() + v.len()).sum();
    println!("{messages} messages, {bytes} bytes (sending replica A whole: {full} bytes)");
    for d in &diff {
        let key = String::from_utf8_lossy(d.key()).into_owned();
        match d {
            Difference::MissingHere(_) => println!("  {key}: only on B -> copy to A"),
            Difference::MissingThere(_) => println!("  {key}: only on A -> copy to B"),
            Difference::ValueDiffers(_) => println!("  {key}: values differ -> A's value wins"),
        }
        match (a.get(&key).cloned(), b.get(&key).cloned()) {
            (Some(v), _) => b.insert(key, v),
            (None, Some(v)) => a.insert(key, v),
            (None, None) => None,
        };
    }
    println!("repaired {} keys; replicas equal: {}", diff.len(), a == b);
    assert_eq!(build(&a).root(), build(&b).root());
}
