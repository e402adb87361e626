//! Against a live Redis: GEOSEARCH around the antimeridian and the poles' edges, where the cells
//! Redis scans decide the reply, must answer exactly as `redis::GeoSet::search` does, sorted and
//! unsorted. `.ci/run` starts a server and sets `REDIS_URL` (`redis://127.0.0.1:PORT/`).

use brick_geohash::redis::{By, Center, GeoSet, Order, Search, Unit};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// A RESP reply, as much of it as these commands return.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Vec<Reply>),
}

struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn open() -> Conn {
        let url = std::env::var("REDIS_URL").expect("REDIS_URL is set by .ci/run");
        let addr = url
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned();
        let stream = TcpStream::connect(addr).expect("connect to Redis");
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    fn call(&mut self, args: &[String]) -> Reply {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        self.writer.write_all(&out).unwrap();
        self.read()
    }

    fn read(&mut self) -> Reply {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let (kind, rest) = line.trim_end().split_at(1);
        match kind {
            "+" => Reply::Status(rest.to_owned()),
            "-" => Reply::Error(rest.to_owned()),
            ":" => Reply::Int(rest.parse().unwrap()),
            "$" => {
                let n: i64 = rest.parse().unwrap();
                if n < 0 {
                    return Reply::Bulk(None);
                }
                let mut buf = vec![0; n as usize + 2];
                self.reader.read_exact(&mut buf).unwrap();
                buf.truncate(n as usize);
                Reply::Bulk(Some(buf))
            }
            "*" => {
                let n: i64 = rest.parse().unwrap();
                Reply::Array((0..n.max(0)).map(|_| self.read()).collect())
            }
            other => panic!("unexpected RESP type {other:?}"),
        }
    }
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| (*s).to_owned()).collect()
}

/// A fixed pseudo-random sequence (splitmix64), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
    }
}

#[test]
#[ignore = "needs a live redis-server; .ci/run starts one and sets REDIS_URL"]
fn geosearch_near_the_antimeridian_answers_as_redis_does() {
    let mut redis = Conn::open();
    let key = "brick-geohash:antimeridian";
    assert!(matches!(redis.call(&args(&["DEL", key])), Reply::Int(_)));
    let mut ours = GeoSet::new();
    let mut rng = Rng(0x6765_6f68_6173_6821);
    // Members within a few degrees of ±180, some exactly on it, at every latitude band.
    for i in 0..400 {
        let lon = match i % 8 {
            0 => 180.0,
            1 => -180.0,
            2 | 3 => rng.range(177.0, 180.0),
            4 | 5 => rng.range(-180.0, -177.0),
            _ => rng.range(-180.0, 180.0),
        };
        let lat = rng.range(-85.0, 85.0);
        let member = format!("m{i}");
        let added = redis.call(&args(&[
            "GEOADD",
            key,
            &lon.to_string(),
            &lat.to_string(),
            &member,
        ]));
        assert_eq!(added, Reply::Int(1), "GEOADD {lon} {lat}");
        ours.add(&member, lat, lon).unwrap();
    }
    let mut compared = 0;
    for q in 0..300 {
        let lon = match q % 4 {
            0 => 180.0,
            1 => -180.0,
            2 => rng.range(179.0, 180.0),
            _ => rng.range(-180.0, -179.0),
        };
        let lat = rng.range(-84.0, 84.0);
        let size_km = [1.0, 50.0, 300.0, 1_500.0, 6_000.0][q % 5];
        let by = if q % 3 == 0 {
            By::Box(size_km * 2.0, size_km, Unit::Km)
        } else {
            By::Radius(size_km, Unit::Km)
        };
        for order in [Some(Order::Asc), None] {
            let mut cmd = args(&[
                "GEOSEARCH",
                key,
                "FROMLONLAT",
                &lon.to_string(),
                &lat.to_string(),
            ]);
            match by {
                By::Radius(r, _) => cmd.extend(args(&["BYRADIUS", &r.to_string(), "km"])),
                By::Box(w, h, _) => {
                    cmd.extend(args(&["BYBOX", &w.to_string(), &h.to_string(), "km"]))
                }
            }
            if order.is_some() {
                cmd.push("ASC".to_owned());
            }
            let Reply::Array(reply) = redis.call(&cmd) else {
                panic!("{cmd:?}: not an array");
            };
            let want: Vec<String> = reply
                .iter()
                .map(|r| match r {
                    Reply::Bulk(Some(b)) => String::from_utf8(b.clone()).unwrap(),
                    other => panic!("{cmd:?}: {other:?}"),
                })
                .collect();
            let search = Search {
                from: Center::LatLon(lat, lon),
                by,
                order,
                count: None,
            };
            let got: Vec<String> = ours
                .search(&search)
                .unwrap()
                .into_iter()
                .map(|h| h.member)
                .collect();
            assert_eq!(got, want, "{}", cmd.join(" "));
            compared += 1;
        }
    }
    assert!(compared > 0);
    redis.call(&args(&["DEL", key]));
}
