//! 100,000 drivers move around a city; each tick a rider asks for the 10 nearest drivers.
//! The index answer is checked against a brute-force scan, and both are timed.
use brick_geohash::{GeoIndex, Point, haversine};
use std::time::{Duration, Instant};

fn main() -> Result<(), brick_geohash::Error> {
    // A fixed-seed xorshift, so every run shows the same city.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    // Greater London, roughly 50 km × 50 km.
    let (south, west, height, width) = (51.28, -0.51, 0.45, 0.72);
    let mut drivers = GeoIndex::new();
    let mut positions = Vec::new();
    for id in 0..100_000u32 {
        let p = Point::new(south + rand() * height, west + rand() * width)?;
        drivers.insert(id, p);
        positions.push(p);
    }
    let (mut index_time, mut scan_time) = (Duration::ZERO, Duration::ZERO);
    for tick in 0..5 {
        // Every driver moves up to ~100 m; re-inserting a key moves it.
        for (id, p) in positions.iter_mut().enumerate() {
            let lat = (p.lat() + (rand() - 0.5) * 0.0018).clamp(south, south + height);
            let lon = (p.lon() + (rand() - 0.5) * 0.0029).clamp(west, west + width);
            *p = Point::new(lat, lon)?;
            drivers.insert(id as u32, *p);
        }
        let rider = Point::new(south + rand() * height, west + rand() * width)?;

        let t = Instant::now();
        let nearest = drivers.nearest(rider, 10);
        index_time += t.elapsed();

        let t = Instant::now();
        let mut scan: Vec<(u32, f64)> = positions
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u32, haversine(rider, *p)))
            .collect();
        scan.sort_by(|a, b| a.1.total_cmp(&b.1));
        scan_time += t.elapsed();

        let same = nearest.iter().zip(&scan).all(|((_, _, d), (_, e))| d == e);
        let ids: Vec<u32> = nearest.iter().map(|(id, _, _)| **id).collect();
        println!(
            "tick {tick}: rider at ({:.4}, {:.4}); nearest {:.0} m, 10th {:.0} m; drivers {ids:?}; matches scan: {same}",
            rider.lat(),
            rider.lon(),
            nearest[0].2,
            nearest[9].2
        );
        assert!(same, "index and scan disagree");
    }
    println!(
        "index: {:?} per query, brute-force scan: {:?} per query",
        index_time / 5,
        scan_time / 5
    );
    Ok(())
}
