//! A web crawler's "seen this URL?" set: 10 million URLs at a 0.1 % false-positive rate, with
//! the memory it takes against a `HashSet<String>` of the same URLs.
//!
//! Run: `cargo run --release -p brick-bloom --example crawler_dedup [urls]`.

use brick_bloom::{BlockedBloomFilter, Error};
use std::collections::HashSet;

fn url(i: u64) -> String {
    // Crawl frontiers repeat hosts and path shapes; the ids make each URL distinct.
    format!(
        "https://site{}.example.com/articles/{}/comments?page={}",
        i % 5_000,
        i,
        i % 7
    )
}

fn main() -> Result<(), Error> {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let mut seen = BlockedBloomFilter::new(n, 0.001)?;
    let mut exact = HashSet::new();
    let mut skipped = 0u64;
    for i in 0..n {
        let u = url(i);
        // A crawler fetches a URL only if the filter has not seen it. A false positive skips
        // a new page; at 0.1 % that is one page in a thousand, traded for the memory below.
        if seen.insert(u.as_str()) {
            skipped += 1;
        }
        exact.insert(u);
    }
    // Revisits are always caught: a Bloom filter has no false negatives.
    let revisits = (0..n)
        .step_by(1000)
        .filter(|&i| seen.contains(url(i).as_str()))
        .count();
    assert_eq!(revisits as u64, n.div_ceil(1000));

    let filter_mb = seen.memory_bytes() as f64 / 1e6;
    // HashSet<String>: the table's slots (a String header and a control byte each) plus every
    // string's heap buffer.
    let slots = exact.capacity() * (size_of::<String>() + 1);
    let heap: usize = exact.iter().map(String::capacity).sum();
    let set_mb = (slots + heap) as f64 / 1e6;
    println!("urls:                 {n}");
    println!(
        "bloom filter:         {filter_mb:.1} MB ({:.1} bits per URL, k = {})",
        seen.bits() as f64 / n as f64,
        seen.hashes()
    );
    println!(
        "HashSet<String>:      {set_mb:.1} MB ({:.0}x the filter)",
        set_mb / filter_mb
    );
    // The rate climbs from 0 to 0.1 % as the filter fills, so far fewer are skipped on the way.
    let pct = 100.0 * skipped as f64 / n as f64;
    println!("new URLs skipped:     {skipped} ({pct:.3} %; rate when full: 0.1 %)");
    Ok(())
}
