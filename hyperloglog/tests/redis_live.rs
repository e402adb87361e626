//! Against a live redis-server (`REDIS_URL`; `.ci/run` starts one): random element sets PFADDed
//! there and inserted here give the same bytes, and our bytes SET there count and merge as
//! ours do.
#![cfg(not(loom))]

use brick_hyperloglog::RedisHyperLogLog;
use proptest::prelude::*;

fn connection() -> redis::Connection {
    let url = std::env::var("REDIS_URL")
        .unwrap_or_else(|_| panic!("REDIS_URL is not set: run .ci/run, or start redis-server"));
    redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .expect("connect to Redis")
}

fn key(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("brick-hll-test:{}:{name}:{nanos}", std::process::id())
}

fn get(con: &mut redis::Connection, k: &str) -> Vec<u8> {
    redis::cmd("GET").arg(k).query(con).expect("GET")
}

fn elements() -> impl Strategy<Value = Vec<Vec<u8>>> {
    // Sizes across the sparse range, the promotion (about 1,700 to 3,000) and dense; short
    // binary elements repeat, so updates hit existing registers too.
    (0usize..4000, any::<u64>()).prop_map(|(n, seed)| {
        (0..n as u64)
            .map(|i| {
                let x = (i ^ seed).wrapping_mul(0x9e37_79b9_7f4a_7c15) % (n as u64 + 1);
                x.to_le_bytes()[..1 + (x % 8) as usize].to_vec()
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn pfadd_there_equals_insert_here(elements in elements()) {
        let mut con = connection();
        let k = key("pfadd");
        let mut ours = RedisHyperLogLog::new();
        for e in &elements {
            ours.insert(e);
        }
        let mut cmd = redis::cmd("PFADD");
        cmd.arg(&k);
        for e in &elements {
            cmd.arg(e.as_slice());
        }
        let _: i64 = cmd.query(&mut con).expect("PFADD");
        prop_assert_eq!(get(&mut con, &k), ours.as_redis_bytes().to_vec(), "value before PFCOUNT");
        let count: u64 = redis::cmd("PFCOUNT").arg(&k).query(&mut con).expect("PFCOUNT");
        prop_assert_eq!(count, ours.count());
        prop_assert_eq!(get(&mut con, &k), ours.to_redis_bytes(), "value after PFCOUNT");
        let _: () = redis::cmd("DEL").arg(&k).query(&mut con).expect("DEL");
    }

    #[test]
    #[ignore = "needs redis-server; .ci/run starts one"]
    fn our_bytes_count_and_merge_there(a in elements(), b in elements()) {
        let mut con = connection();
        let build = |els: &[Vec<u8>]| {
            let mut h = RedisHyperLogLog::new();
            for e in els {
                h.insert(e);
            }
            h
        };
        let (ha, hb) = (build(&a), build(&b));
        let (ka, kb, kd) = (key("a"), key("b"), key("dest"));
        let _: () = redis::cmd("SET").arg(&ka).arg(ha.as_redis_bytes()).query(&mut con).expect("SET");
        let _: () = redis::cmd("SET").arg(&kb).arg(hb.as_redis_bytes()).query(&mut con).expect("SET");
        let count: u64 = redis::cmd("PFCOUNT").arg(&ka).query(&mut con).expect("PFCOUNT");
        prop_assert_eq!(count, ha.count());
        let union: u64 = redis::cmd("PFCOUNT").arg(&ka).arg(&kb).query(&mut con).expect("PFCOUNT");
        prop_assert_eq!(union, RedisHyperLogLog::union_count(&[&ha, &hb]));
        let _: () = redis::cmd("PFMERGE").arg(&kd).arg(&ka).arg(&kb).query(&mut con).expect("PFMERGE");
        let merged = RedisHyperLogLog::merged(&[&ha, &hb]);
        prop_assert_eq!(get(&mut con, &kd), merged.as_redis_bytes().to_vec(), "PFMERGE dest");
        // PFMERGE into an existing key: A, already counted (its cache filled) above.
        let _: () = redis::cmd("PFMERGE").arg(&ka).arg(&ka).arg(&kb).query(&mut con).expect("PFMERGE");
        let mut into = ha.clone();
        into.pfcount();
        into.merge(&[&hb]);
        prop_assert_eq!(get(&mut con, &ka), into.as_redis_bytes().to_vec(), "PFMERGE A A B");
        let _: () = redis::cmd("DEL").arg(&ka).arg(&kb).arg(&kd).query(&mut con).expect("DEL");
    }
}
