//! The middleware end to end, over real sockets: an axum server with the layer on loopback,
//! driven by hyper's HTTP client. The (limit + 1)-th request gets 429 with correct headers, the
//! client recovers after `Retry-After`, two keys are independent, a missing key is answered as
//! configured, per-route limits and a two-level hierarchy hold, and forwarding headers count
//! only behind a trusted proxy.
#![cfg(not(loom))]

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use brick_rate_limit::middleware::{
    Check, KeyExtractor, MissingKey, RateLimitLayer, RequestKey, RequestLimiter, TrustedProxies,
};
use brick_rate_limit::{
    Decision, FixedWindow, Gcra, KeyedLimiter, Limiter, ManualClock, RateLimiter, SystemClock,
};
use http::{HeaderMap, HeaderName, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<bytes::Bytes>>;

/// Serves `app` on a free loopback port (with the peer address in `ConnectInfo`).
async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// GET `path` with `headers`; the status and the response headers.
async fn get_with(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap) {
    let mut req = Request::get(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = client
        .request(req.body(Empty::new()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let _ = response.into_body().collect().await.unwrap();
    (status, headers)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().unwrap().to_owned())
}

fn api_key() -> KeyExtractor {
    KeyExtractor::header(HeaderName::from_static("x-api-key"))
}

fn axum_peer() -> KeyExtractor {
    KeyExtractor::peer_ip_with(|e| e.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
}

#[tokio::test]
async fn the_request_over_the_limit_gets_429_and_recovers_after_retry_after() {
    let clock = ManualClock::new();
    let per_key = KeyedLimiter::<String, _, _>::new(
        Gcra::new(3, Duration::from_secs(3)).unwrap(),
        clock.clone(),
    );
    let app = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(api_key(), per_key));
    let (addr, client) = (serve(app).await, client());
    for remaining in ["2", "1", "0"] {
        let (status, h) = get_with(&client, addr, "/", &[("x-api-key", "alice")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header(&h, "x-ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(
            header(&h, "x-ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert_eq!(
            header(&h, "retry-after"),
            None,
            "only denials carry Retry-After"
        );
    }
    let (status, h) = get_with(&client, addr, "/", &[("x-api-key", "alice")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&h, "retry-after").as_deref(),
        Some("1"),
        "one unit comes back in 1 s"
    );
    assert_eq!(header(&h, "x-ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(
        header(&h, "ratelimit-policy").as_deref(),
        Some("\"default\";q=3;w=3")
    );
    assert!(header(&h, "ratelimit").is_some_and(|v| v.starts_with("\"default\";r=0;t=")));
    // Another key is independent.
    let (status, _) = get_with(&client, addr, "/", &[("x-api-key", "bob")]).await;
    assert_eq!(status, StatusCode::OK);
    // After Retry-After, alice passes again.
    clock.advance(Duration::from_secs(1));
    let (status, _) = get_with(&client, addr, "/", &[("x-api-key", "alice")]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_key_is_answered_as_configured() {
    let limiter = || {
        KeyedLimiter::<String, _, _>::new(
            Gcra::new(1, Duration::from_secs(60)).unwrap(),
            SystemClock::default(),
        )
    };
    let strict = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(api_key(), limiter()));
    let lenient = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(api_key(), limiter()).on_missing_key(MissingKey::Allow));
    let (strict, lenient, client) = (serve(strict).await, serve(lenient).await, client());
    let (status, _) = get_with(&client, strict, "/", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_with(&client, strict, "/", &[("x-api-key", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an empty key is no key");
    for _ in 0..3 {
        let (status, h) = get_with(&client, lenient, "/", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            header(&h, "x-ratelimit-limit"),
            None,
            "unlimited: no headers"
        );
    }
}

/// Per-route limits (a layer on each route) and a per-user + global hierarchy in one layer: a
/// user over their own limit spends nothing of the global one.
#[tokio::test]
async fn per_route_limits_and_a_hierarchy_in_one_layer() {
    let clock = ManualClock::new();
    let per_user = KeyedLimiter::<String, _, _>::new(
        FixedWindow::new(2, Duration::from_secs(60)).unwrap(),
        clock.clone(),
    );
    let global = Limiter::new(
        FixedWindow::new(3, Duration::from_secs(60)).unwrap(),
        clock.clone(),
    );
    let login = KeyedLimiter::<String, _, _>::new(
        FixedWindow::new(1, Duration::from_secs(60)).unwrap(),
        clock.clone(),
    );
    let app = Router::new()
        .route(
            "/api",
            get(|| async { "api" }).layer(
                RateLimitLayer::new(api_key(), per_user)
                    .and(KeyExtractor::from_fn(|_| Some("all".into())), global),
            ),
        )
        .route(
            "/login",
            get(|| async { "login" }).layer(RateLimitLayer::new(axum_peer(), login)),
        );
    let (addr, client) = (serve(app).await, client());
    let status = |h: (StatusCode, HeaderMap)| h.0;
    assert_eq!(
        status(get_with(&client, addr, "/api", &[("x-api-key", "a")]).await),
        StatusCode::OK
    );
    assert_eq!(
        status(get_with(&client, addr, "/api", &[("x-api-key", "a")]).await),
        StatusCode::OK
    );
    // a is over its own limit: denied, and the global limit is not charged.
    for _ in 0..5 {
        assert_eq!(
            status(get_with(&client, addr, "/api", &[("x-api-key", "a")]).await),
            StatusCode::TOO_MANY_REQUESTS
        );
    }
    assert_eq!(
        status(get_with(&client, addr, "/api", &[("x-api-key", "b")]).await),
        StatusCode::OK
    );
    // The global limit (3) is now spent: b's second request is denied by it.
    let (s, h) = get_with(&client, addr, "/api", &[("x-api-key", "b")]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&h, "x-ratelimit-limit").as_deref(),
        Some("3"),
        "the global level denied"
    );
    // /login has its own limit, by peer IP.
    assert_eq!(
        status(get_with(&client, addr, "/login", &[]).await),
        StatusCode::OK
    );
    assert_eq!(
        status(get_with(&client, addr, "/login", &[]).await),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// `X-Forwarded-For` and `Forwarded` name the client only when the peer is a trusted proxy; a
/// client's own claims left of the first untrusted hop are ignored.
#[tokio::test]
async fn forwarding_headers_count_only_behind_a_trusted_proxy() {
    let by_client_ip = || {
        KeyedLimiter::<String, _, _>::new(
            Gcra::new(1, Duration::from_secs(60)).unwrap(),
            SystemClock::default(),
        )
    };
    let trusting = TrustedProxies::new(["127.0.0.0/8", "10.0.0.0/8"]).unwrap();
    let behind = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(
            axum_peer().behind(trusting),
            by_client_ip(),
        ));
    let direct = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(axum_peer(), by_client_ip()));
    let (behind, direct, client) = (serve(behind).await, serve(direct).await, client());
    // Behind the trusted proxy: each client IP has its own limit.
    for ip in ["203.0.113.7", "203.0.113.8"] {
        let (s, _) = get_with(&client, behind, "/", &[("x-forwarded-for", ip)]).await;
        assert_eq!(s, StatusCode::OK, "{ip}");
    }
    let (s, _) = get_with(&client, behind, "/", &[("x-forwarded-for", "203.0.113.7")]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A spoofed entry left of the real client changes nothing; trusted hops on the right are
    // skipped; Forwarded (RFC 7239) is read too.
    let spoofed = "1.2.3.4, 203.0.113.7, 10.1.2.3";
    let (s, _) = get_with(&client, behind, "/", &[("x-forwarded-for", spoofed)]).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "still 203.0.113.7");
    let (s, _) = get_with(
        &client,
        behind,
        "/",
        &[("forwarded", "for=198.51.100.1;proto=https")],
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_with(
        &client,
        behind,
        "/",
        &[("forwarded", "for=\"198.51.100.1:443\"")],
    )
    .await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "the same client, with a port"
    );
    // Not behind a proxy: the headers are the client's claims, and the peer (127.0.0.1) counts.
    let (s, _) = get_with(&client, direct, "/", &[("x-forwarded-for", "203.0.113.50")]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_with(&client, direct, "/", &[("x-forwarded-for", "203.0.113.51")]).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "a new claim does not escape the limit"
    );
}

/// A limit that must be awaited, as a Redis one is: the layer's other path.
struct Awaited(Limiter<FixedWindow, ManualClock>);

impl RequestLimiter for Awaited {
    fn check<'a>(&'a self, _key: &'a RequestKey<'_>) -> Check<'a> {
        Check::Pending(Box::pin(async move {
            tokio::task::yield_now().await;
            let d: Decision = RateLimiter::check(&self.0);
            d
        }))
    }
}

/// An in-process level, then one that must be awaited: the awaited level's denial answers 429
/// and gives back the in-process level's grant, as the all-in-process hierarchy does.
#[tokio::test]
async fn an_awaited_level_decides_and_gives_back_earlier_grants() {
    let clock = ManualClock::new();
    let per_user = KeyedLimiter::<String, _, _>::new(
        FixedWindow::new(3, Duration::from_secs(60)).unwrap(),
        clock.clone(),
    );
    let global = Awaited(Limiter::new(
        FixedWindow::new(2, Duration::from_secs(60)).unwrap(),
        clock.clone(),
    ));
    let app = Router::new().route("/", get(|| async { "ok" })).layer(
        RateLimitLayer::new(api_key(), per_user)
            .and(KeyExtractor::from_fn(|_| Some("all".into())), global),
    );
    let (addr, client) = (serve(app).await, client());
    let status = |h: (StatusCode, HeaderMap)| h.0;
    for _ in 0..2 {
        assert_eq!(
            status(get_with(&client, addr, "/", &[("x-api-key", "a")]).await),
            StatusCode::OK
        );
    }
    // The global level is spent: denied there, 5 times, and a's own limit keeps its last unit.
    for _ in 0..5 {
        let (s, h) = get_with(&client, addr, "/", &[("x-api-key", "a")]).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&h, "x-ratelimit-limit").as_deref(), Some("2"));
    }
    clock.advance(Duration::from_secs(60));
    // A new window for both: a has 3 of its own again (nothing was spent by the denials).
    let (s, h) = get_with(&client, addr, "/", &[("x-api-key", "a")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        header(&h, "x-ratelimit-remaining").as_deref(),
        Some("1"),
        "the global level has the fewest left"
    );
}

#[test]
fn trusted_proxies_parse_and_match_networks() {
    let t = TrustedProxies::new(["10.0.0.0/8", "192.168.1.0/24", "::1", "2001:db8::/32"]).unwrap();
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(t.contains(ip("10.255.0.1")) && !t.contains(ip("11.0.0.1")));
    assert!(t.contains(ip("192.168.1.200")) && !t.contains(ip("192.168.2.1")));
    assert!(t.contains(ip("::1")) && t.contains(ip("2001:db8:ffff::1")));
    assert!(
        t.contains(ip("::ffff:10.1.1.1")),
        "IPv4-mapped IPv6 counts as IPv4"
    );
    assert!(!t.contains(ip("2001:db9::1")));
    for bad in ["10.0.0.0/33", "not-an-ip", "::/129", "1.2.3.4/x"] {
        assert_eq!(TrustedProxies::new([bad]).unwrap_err(), bad);
    }
}

/// A limiter keyed by `IpAddr` behind the peer-IP extractor limits each address; behind a header
/// extractor it takes a key that spells an address and denies one that does not.
#[tokio::test]
async fn an_ip_keyed_limiter_limits_addresses_and_refuses_keys_that_are_not() {
    let clock = ManualClock::new();
    let per_ip = |clock: &ManualClock| {
        KeyedLimiter::<IpAddr, _, _>::new(
            Gcra::new(2, Duration::from_secs(60)).unwrap(),
            clock.clone(),
        )
    };
    let by_peer = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(axum_peer(), per_ip(&clock)));
    let by_header = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(RateLimitLayer::new(
            KeyExtractor::header(HeaderName::from_static("x-client-ip")),
            per_ip(&clock),
        ));
    let (by_peer, by_header, client) = (serve(by_peer).await, serve(by_header).await, client());
    for _ in 0..2 {
        assert_eq!(get_with(&client, by_peer, "/", &[]).await.0, StatusCode::OK);
    }
    let (status, h) = get_with(&client, by_peer, "/", &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&h, "x-ratelimit-limit").as_deref(), Some("2"));
    // Text that spells an address is that address, however it is written.
    for ip in ["10.0.0.1", "10.0.0.1", "::ffff:10.0.0.2", "::ffff:10.0.0.2"] {
        let (status, _) = get_with(&client, by_header, "/", &[("x-client-ip", ip)]).await;
        assert_eq!(status, StatusCode::OK, "{ip}");
    }
    let (status, _) = get_with(&client, by_header, "/", &[("x-client-ip", "10.0.0.1")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, h) = get_with(&client, by_header, "/", &[("x-client-ip", "alice")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "not an address");
    assert_eq!(header(&h, "x-ratelimit-limit").as_deref(), Some("2"));
    assert!(header(&h, "retry-after").is_some());
}

/// Each `AllowedHeaders` choice puts exactly its headers on allowed responses, and denials carry
/// every header whatever the choice.
#[tokio::test]
async fn allowed_responses_carry_the_chosen_headers_and_denials_all() {
    use brick_rate_limit::middleware::AllowedHeaders;
    const ALL: [&str; 5] = [
        "ratelimit-policy",
        "ratelimit",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ];
    let client = client();
    for (which, expected) in [
        (AllowedHeaders::All, &ALL[..]),
        (AllowedHeaders::Ietf, &ALL[..2]),
        (AllowedHeaders::XRateLimit, &ALL[2..]),
        (AllowedHeaders::None, &[][..]),
    ] {
        let limiter = KeyedLimiter::<String, _, _>::new(
            Gcra::new(1, Duration::from_secs(60)).unwrap(),
            ManualClock::new(),
        );
        let app = Router::new()
            .route("/", get(|| async { "ok" }))
            .layer(RateLimitLayer::new(api_key(), limiter).headers_on_allowed(which));
        let addr = serve(app).await;
        let (status, h) = get_with(&client, addr, "/", &[("x-api-key", "k")]).await;
        assert_eq!(status, StatusCode::OK);
        for name in ALL {
            assert_eq!(
                h.contains_key(name),
                expected.contains(&name),
                "{which:?}: {name}"
            );
        }
        assert!(!h.contains_key("retry-after"));
        let (status, h) = get_with(&client, addr, "/", &[("x-api-key", "k")]).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        for name in ALL.iter().chain(&["retry-after"]) {
            assert!(h.contains_key(*name), "{which:?} denial: {name}");
        }
    }
}
