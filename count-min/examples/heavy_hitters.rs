//! The top 10 client IPs of a 10-million-line access log, from a Count-Min top-k in 150 KiB,
//! next to the exact answer from a `HashMap` of every IP.
//!
//! `cargo run --release -p brick-count-min --example heavy_hitters`

use brick_count_min::TopK;
use std::collections::HashMap;

fn main() -> Result<(), brick_count_min::Error> {
    // Client IPs follow Zipf(1.1) over a million addresses (fixed seed), as abusive or busy
    // clients do: a few send much of the traffic.
    let (ips, s) = (1_000_000usize, 1.1);
    let mut cdf: Vec<f64> = (1..=ips).map(|r| (r as f64).powf(-s)).collect();
    for i in 1..ips {
        cdf[i] += cdf[i - 1];
    }
    let mut seed = 42u64;
    let mut next_ip = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let rank =
            cdf.partition_point(|&c| c < (seed >> 11) as f64 / (1u64 << 53) as f64 * cdf[ips - 1]);
        let ip = (rank as u32 + 1).wrapping_mul(2654435761);
        format!(
            "{}.{}.{}.{}",
            ip >> 24,
            (ip >> 16) & 255,
            (ip >> 8) & 255,
            ip & 255
        )
    };

    let mut top = TopK::<String>::new(10, 0.0005, 0.001)?;
    let mut exact: HashMap<String, u64> = HashMap::new();
    for _ in 0..10_000_000 {
        let line = format!("{} - - [23/Nov/2026] \"GET /api HTTP/1.1\" 200", next_ip());
        let ip = line.split(' ').next().unwrap_or_default();
        top.insert(&ip.to_owned());
        *exact.entry(ip.to_owned()).or_default() += 1;
    }

    let mut truth: Vec<(&String, &u64)> = exact.iter().collect();
    truth.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    println!(
        "{:<4} {:<16} {:>10} {:>10} | {:<16} {:>10}",
        "rank", "top-k IP", "estimate", "± error", "exact IP", "count"
    );
    for (i, (h, (ip, n))) in top.top().iter().zip(&truth).enumerate() {
        println!(
            "{:<4} {:<16} {:>10} {:>10} | {:<16} {:>10}",
            i + 1,
            h.key,
            h.count,
            h.error,
            ip,
            n
        );
    }
    let sketch = top.sketch().len_bytes() + 10 * (size_of::<String>() + 15);
    let map = exact.capacity() * (size_of::<(String, u64)>() + 1)
        + exact.keys().map(String::capacity).sum::<usize>();
    println!(
        "memory: top-k {:.0} KiB, HashMap {:.1} MiB ({} distinct IPs)",
        sketch as f64 / 1024.0,
        map as f64 / 1048576.0,
        exact.len()
    );
    Ok(())
}
