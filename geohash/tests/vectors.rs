//! Every case of the golden vectors in tests/data (see tests/data/README.md for provenance):
//! python-geohash for the standard geohash, Redis 7.0.15 for the GEO commands.

use brick_geohash::redis::{self, By, Center, GeoSet, Order, Search, Unit};
use brick_geohash::{Direction, GeoHash, encode};
use serde_json::Value;

fn lines(file: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_str()
        .expect("number as string")
        .parse()
        .expect("float")
}

#[test]
fn geohash_points_match_python_geohash() {
    let points = lines("geohash_points.jsonl");
    assert!(!points.is_empty(), "no vectors");
    let mut checked = 0;
    for p in &points {
        let (lat, lon) = (f(&p["lat"]), f(&p["lon"]));
        for (i, level) in p["levels"].as_array().unwrap().iter().enumerate() {
            let precision = i as u8 + 1;
            let h = encode(lat, lon, precision).unwrap();
            let want = level["hash"].as_str().unwrap();
            assert_eq!(h.to_string(), want, "encode({lat}, {lon}, {precision})");
            assert_eq!(want.parse::<GeoHash>().unwrap(), h);

            let c = h.center();
            assert_eq!(
                (c.lat(), c.lon()),
                (f(&level["center"][0]), f(&level["center"][1])),
                "center of {want}"
            );
            assert_eq!(
                h.error(),
                (f(&level["err"][0]), f(&level["err"][1])),
                "err of {want}"
            );
            let b = h.bbox();
            let bb = &level["bbox"];
            assert_eq!(
                (b.south, b.west, b.north, b.east),
                (f(&bb["s"]), f(&bb["w"]), f(&bb["n"]), f(&bb["e"])),
                "bbox of {want}"
            );

            let nb = h.neighbors();
            for (dir, key) in Direction::ALL
                .iter()
                .zip(["n", "ne", "e", "se", "s", "sw", "w", "nw"])
            {
                let got = nb.get(*dir).map(|g| g.to_string());
                let want_n = level["neighbors"][key].as_str().map(str::to_owned);
                assert_eq!(got, want_n, "{key} of {want}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 57 * 12);
}

#[test]
fn redis_members_scores_geohash_and_geopos() {
    let members = lines("redis_geo_members.jsonl");
    assert!(!members.is_empty(), "no vectors");
    let mut overflow = 0;
    for m in &members {
        let (lon, lat) = (f(&m["lon"]), f(&m["lat"]));
        let score = redis::score(lat, lon).unwrap();
        assert_eq!(score, m["score"].as_u64().unwrap(), "score of {m}");
        if score >= 1 << 52 {
            overflow += 1;
        }
        assert_eq!(
            redis::geohash(score).unwrap(),
            m["geohash"].as_str().unwrap(),
            "GEOHASH of {m}"
        );
        let (plat, plon) = redis::position(score).unwrap();
        assert_eq!(
            redis::format_coord(plon),
            m["geopos"][0].as_str().unwrap(),
            "GEOPOS lon of {m}"
        );
        assert_eq!(
            redis::format_coord(plat),
            m["geopos"][1].as_str().unwrap(),
            "GEOPOS lat of {m}"
        );
    }
    // The top-of-range quirk is in the set, and reproduced.
    assert_eq!(overflow, 3);
}

fn geo_set() -> GeoSet {
    let mut set = GeoSet::new();
    for m in lines("redis_geo_members.jsonl") {
        set.add(m["member"].as_str().unwrap(), f(&m["lat"]), f(&m["lon"]))
            .unwrap();
    }
    set
}

#[test]
fn redis_geodist_matches() {
    let set = geo_set();
    let cases = lines("redis_geo_dist.jsonl");
    assert!(!cases.is_empty(), "no vectors");
    for c in &cases {
        let unit: Unit = c["unit"].as_str().unwrap().parse().unwrap();
        let got = set
            .dist(c["a"].as_str().unwrap(), c["b"].as_str().unwrap(), unit)
            .map(redis::format_distance);
        assert_eq!(got.as_deref(), c["dist"].as_str(), "{c}");
    }
}

/// Parses the GEOSEARCH arguments the vectors use into a [`Search`] and what to print.
fn parse_search(cmd: &[Value]) -> (Search, bool, bool, bool) {
    let args: Vec<&str> = cmd.iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(args[0], "GEOSEARCH");
    let mut i = 2;
    let mut from = None;
    let mut by = None;
    let (mut order, mut count) = (None, None);
    let (mut coord, mut dist, mut hash) = (false, false, false);
    while i < args.len() {
        match args[i] {
            "FROMLONLAT" => {
                // Redis takes lon then lat; the crate takes (lat, lon).
                from = Some(Center::LatLon(
                    args[i + 2].parse().unwrap(),
                    args[i + 1].parse().unwrap(),
                ));
                i += 3;
            }
            "FROMMEMBER" => {
                from = Some(Center::Member(args[i + 1].to_owned()));
                i += 2;
            }
            "BYRADIUS" => {
                by = Some(By::Radius(
                    args[i + 1].parse().unwrap(),
                    args[i + 2].parse().unwrap(),
                ));
                i += 3;
            }
            "BYBOX" => {
                by = Some(By::Box(
                    args[i + 1].parse().unwrap(),
                    args[i + 2].parse().unwrap(),
                    args[i + 3].parse().unwrap(),
                ));
                i += 4;
            }
            "ASC" | "DESC" => {
                order = Some(if args[i] == "ASC" {
                    Order::Asc
                } else {
                    Order::Desc
                });
                i += 1;
            }
            "COUNT" => {
                count = Some(args[i + 1].parse().unwrap());
                i += 2;
            }
            "WITHCOORD" | "WITHDIST" | "WITHHASH" => {
                coord |= args[i] == "WITHCOORD";
                dist |= args[i] == "WITHDIST";
                hash |= args[i] == "WITHHASH";
                i += 1;
            }
            other => panic!("unexpected argument {other}"),
        }
    }
    (
        Search {
            from: from.unwrap(),
            by: by.unwrap(),
            order,
            count,
        },
        coord,
        dist,
        hash,
    )
}

#[test]
fn redis_geosearch_matches_results_and_order() {
    let set = geo_set();
    let cases = lines("redis_geo_search.jsonl");
    assert!(!cases.is_empty(), "no vectors");
    let mut nonempty = 0;
    for c in &cases {
        let (q, coord, dist, hash) = parse_search(c["command"].as_array().unwrap());
        let got = set.search(&q).unwrap();
        let want = c["result"].as_array().unwrap();
        let got_members: Vec<&str> = got.iter().map(|h| h.member.as_str()).collect();
        let want_members: Vec<&str> = want.iter().map(|w| w["member"].as_str().unwrap()).collect();
        assert_eq!(got_members, want_members, "{}", c["command"]);
        for (g, w) in got.iter().zip(want) {
            if dist {
                assert_eq!(
                    redis::format_distance(g.dist),
                    w["dist"].as_str().unwrap(),
                    "{}",
                    c["command"]
                );
            }
            if hash {
                assert_eq!(g.score, w["hash"].as_u64().unwrap());
            }
            if coord {
                assert_eq!(
                    redis::format_coord(g.coord.1),
                    w["coord"][0].as_str().unwrap()
                );
                assert_eq!(
                    redis::format_coord(g.coord.0),
                    w["coord"][1].as_str().unwrap()
                );
            }
        }
        nonempty += usize::from(!want.is_empty());
    }
    assert!(
        nonempty >= 30,
        "the vectors exercise real results ({nonempty} non-empty)"
    );
}

#[test]
fn redis_rejects_what_redis_rejects_with_its_text() {
    for c in lines("redis_geo_errors.jsonl") {
        let err = redis::score(f(&c["lat"]), f(&c["lon"])).unwrap_err();
        assert_eq!(err.to_string(), c["error"].as_str().unwrap());
    }
}
