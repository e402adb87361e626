//! The `http_429` example over real loopback sockets: 200s up to the limit, then 429 with the
//! headers and a `Retry-After` that is right.
#![cfg(not(loom))]

#[path = "../examples/http_429.rs"]
mod http_429;

use brick_rate_limit::{Gcra, KeyedLimiter, ManualClock};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Sends one GET and returns (status code, headers in order).
fn get(addr: std::net::SocketAddr) -> (u16, Vec<(String, String)>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, _) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (status, headers)
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_client_over_its_limit_gets_429_with_a_correct_retry_after() {
    // 3 per 10 s per IP: one unit every 3.33 s. The clock is frozen, so the answers are exact.
    let clock = ManualClock::new();
    let limiter = Arc::new(KeyedLimiter::new(
        Gcra::new(3, Duration::from_secs(10)).unwrap(),
        clock.clone(),
    ));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || http_429::serve(listener, limiter));

    for remaining in ["2", "1", "0"] {
        let (status, h) = get(addr);
        assert_eq!(status, 200);
        assert_eq!(header(&h, "X-RateLimit-Remaining"), Some(remaining));
        assert_eq!(header(&h, "RateLimit-Policy"), Some("\"default\";q=3;w=10"));
        assert_eq!(header(&h, "Retry-After"), None);
    }
    let (status, h) = get(addr);
    assert_eq!(status, 429);
    // The next unit comes back 10/3 s after the first: 3.33 s, rounded up to whole seconds.
    assert_eq!(header(&h, "Retry-After"), Some("4"));
    assert_eq!(header(&h, "X-RateLimit-Remaining"), Some("0"));
    assert_eq!(header(&h, "RateLimit"), Some("\"default\";r=0;t=10"));

    // 1 ns before the exact retry time still 429; at it, 200 again.
    clock.advance(Duration::from_nanos(3_333_333_332));
    assert_eq!(get(addr).0, 429);
    clock.advance(Duration::from_nanos(1));
    assert_eq!(get(addr).0, 200);
}
