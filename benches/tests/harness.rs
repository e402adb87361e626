//! The harness's own arithmetic: medians, ratios, and the JSON schema (the memory counter has its own binary: tests/memory.rs).

use brick_benches::record::ratios_to_best_peer;
use brick_benches::report::{fmt_num, fmt_ratio, table};
use brick_benches::{Record, median, ns_per_op};

#[test]
fn median_of_odd_and_even_counts() {
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[3.0]), Some(3.0));
    assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    // One wild outlier does not move it.
    assert_eq!(median(&[10.0, 11.0, 1e9, 12.0, 9.0]), Some(11.0));
}

#[test]
fn ns_per_op_runs_warmup_plus_runs_and_divides_by_ops() {
    let mut calls = 0;
    let ns = ns_per_op(5, 1000, || {
        calls += 1;
        std::thread::sleep(std::time::Duration::from_micros(200));
    });
    assert_eq!(calls, 6);
    // 200 µs over 1000 ops is at least 200 ns/op.
    assert!(ns >= 200.0, "{ns}");
}

fn rec(implementation: &str, ours: bool, op: &str, ns: f64) -> Record {
    Record::new("demo", "S", implementation, ours, op, "n=10").with_ns(ns)
}

#[test]
fn ratio_is_against_the_fastest_peer_of_the_same_operation() {
    let records = vec![
        rec("ours", true, "get", 10.0),
        rec("peer-a", false, "get", 40.0),
        rec("peer-b", false, "get", 20.0),
        rec("ours", true, "put", 30.0),
        rec("peer-a", false, "put", 15.0),
        rec("ours", true, "lonely", 5.0),
    ];
    let r = ratios_to_best_peer(&records);
    assert_eq!(
        r,
        vec![Some(0.5), Some(2.0), Some(1.0), Some(2.0), Some(1.0), None]
    );
}

#[test]
fn json_round_trips_every_field() {
    let original = vec![
        Record::new(
            "bloom",
            "BloomFilter",
            "brick-bloom",
            true,
            "contains_miss",
            "n=1000000 p=0.01",
        )
        .with_ns(12.5)
        .with_bytes(1_198_160)
        .with_metric("false_positive_rate", 0.0101, Some(0.01)),
        Record::new(
            "bloom",
            "Bloom",
            "bloomfilter",
            false,
            "contains_miss",
            "n=1000000 p=0.01",
        ),
    ];
    let json = serde_json::to_string(&original).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let first = value[0].as_object().unwrap();
    for field in [
        "brick",
        "structure",
        "implementation",
        "ours",
        "operation",
        "ns_per_op",
        "bytes",
        "metric",
        "value",
        "bound",
        "params",
    ] {
        assert!(first.contains_key(field), "missing {field}");
    }
    let back: Vec<Record> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[test]
fn table_marks_ours_and_shows_ratio() {
    let t = table(&[
        rec("ours", true, "get", 10.0),
        rec("peer", false, "get", 20.0),
    ]);
    assert!(
        t.contains("| get | n=10 | **ours** `S` | 10.0 | 0.50× |"),
        "{t}"
    );
    assert!(
        t.contains("| get | n=10 | peer `S` | 20.0 | 1.00× |"),
        "{t}"
    );
    assert_eq!(fmt_num(0.0), "0");
    assert_eq!(fmt_num(1234.4), "1234");
    assert_eq!(fmt_num(2.5e-5), "2.50e-5");
    assert_eq!(fmt_ratio(0.5), "0.50×");
    assert_eq!(fmt_ratio(0.000245), "2.45e-4×");
}
