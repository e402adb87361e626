//! Shard 1,000,000 cache keys over 10 servers with a hash ring; add a server, then remove one,
//! and print how many keys moved and where they went.
use brick_consistent_hash::{HashRing, distribution, moved};
use std::collections::BTreeMap;

fn main() -> Result<(), brick_consistent_hash::Error> {
    let keys: Vec<String> = (0..1_000_000).map(|i| format!("session:{i}")).collect();
    let mut ring = HashRing::new(160)?;
    for i in 1..=10 {
        ring.add(format!("cache-{i:02}"), 1)?;
    }
    let servers = |r: &HashRing<String>| r.nodes().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let s = distribution(keys.iter(), servers(&ring), |k| {
        ring.get(k.as_str()).cloned()
    });
    println!(
        "10 servers: busiest holds {:.3}x the mean (std/mean {:.3})",
        s.max_over_mean, s.std_dev_over_mean
    );

    // A new server joins: keys move only to it.
    let before = ring.clone();
    ring.add("cache-11".to_owned(), 1)?;
    let mut flows: BTreeMap<(String, String), u64> = BTreeMap::new();
    for k in &keys {
        let (a, b) = (
            before.get(k.as_str()).cloned(),
            ring.get(k.as_str()).cloned(),
        );
        if a != b {
            *flows
                .entry((a.unwrap_or_default(), b.unwrap_or_default()))
                .or_default() += 1;
        }
    }
    let total: u64 = flows.values().sum();
    println!(
        "add cache-11: {total} keys moved ({:.2}%, ideal 1/11 = 9.09%)",
        100.0 * total as f64 / keys.len() as f64
    );
    assert!(
        flows.keys().all(|(_, to)| to == "cache-11"),
        "keys move only to the new server"
    );
    for ((from, to), n) in flows.iter().take(3) {
        println!("  {from} -> {to}: {n}");
    }

    // A server fails: only its keys move, spread over the survivors.
    let before = ring.clone();
    ring.remove(&"cache-04".to_owned());
    let n = moved(
        keys.iter(),
        |k| before.get(k.as_str()).cloned(),
        |k| ring.get(k.as_str()).cloned(),
    );
    let owned = keys
        .iter()
        .filter(|k| before.get(k.as_str()).map(String::as_str) == Some("cache-04"))
        .count();
    println!("remove cache-04: {n} keys moved, exactly the {owned} it held");
    assert_eq!(n as usize, owned);

    // Replicas for a key: the first three distinct servers clockwise.
    let replicas: Vec<&String> = ring.replicas("session:42", 3).collect();
    println!("session:42 lives on {replicas:?}");
    Ok(())
}
