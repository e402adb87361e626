//! brick-rate-limit's tower middleware against tower_governor's, on an axum server over
//! loopback: what each layer costs a trivial handler.

use crate::{Ctx, Record, Section};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use brick_rate_limit::middleware::{AllowedHeaders, KeyExtractor, RateLimitLayer};
use brick_rate_limit::{Gcra, KeyedLimiter, QuantaClock};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const BRICK: &str = "rate-limit-http";
/// Client connections, each sending its requests one after another (keep-alive).
const CONNECTIONS: usize = 2;

type HttpClient = Client<HttpConnector, Empty<bytes::Bytes>>;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    addr
}

/// `requests` GETs over `CONNECTIONS` connections; wall time per request in ns.
async fn drive(addr: SocketAddr, requests: usize) -> f64 {
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            tokio::spawn(async move {
                let client: HttpClient = Client::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(1)
                    .build_http();
                for _ in 0..requests / CONNECTIONS {
                    let req = http::Request::get(format!("http://{addr}/"))
                        .body(Empty::new())
                        .expect("a request");
                    let response = client.request(req).await.expect("a response");
                    assert_eq!(response.status(), http::StatusCode::OK);
                    let _ = response.into_body().collect().await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a client task");
    }
    start.elapsed().as_nanos() as f64 / requests as f64
}

/// The report section.
#[derive(Debug)]
pub struct RateLimitHttpSection;

impl Section for RateLimitHttpSection {
    fn brick(&self) -> &'static str {
        BRICK
    }

    fn summary(&self) -> String {
        format!(
            "A trivial axum handler on loopback, {CONNECTIONS} client connections (hyper's client, \
             keep-alive, one request at a time each), without a rate-limit layer, with ours \
             (`RateLimitLayer`, in-process GCRA keyed by the peer IP, a limit no run reaches) and \
             with tower_governor's (`GovernorLayer`, its peer-IP key, likewise unreachable), each \
             without headers on allowed responses and with two (ours: the IETF draft's \
             `RateLimit-Policy` and `RateLimit`; tower_governor's `use_headers`: \
             `x-ratelimit-limit` and `-remaining`); ours with all five; and the bare handler \
             sending the same five headers itself, which shows what the headers cost on the wire \
             apart from any layer. The servers take turns, each run starting one server later. `overhead` is the extra \
             time per request over the bare handler. Targets, like for like: ours ≤ 5 % of the \
             handler's time and ≤ tower_governor's overhead."
        )
    }

    fn run(&self, ctx: &Ctx) -> Vec<Record> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let requests: usize = ctx.mode.pick(400, 4_000, 20_000);
        let params = format!("requests={requests} connections={CONNECTIONS} loopback");
        let servers = runtime.block_on(async {
            let handler = || get(|| async { "ok" });
            let ours = |headers: AllowedHeaders| {
                RateLimitLayer::new(
                    KeyExtractor::peer_ip_with(|e| {
                        e.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
                    }),
                    KeyedLimiter::<std::net::IpAddr, _, _>::new(
                        Gcra::new(1_000_000_000, Duration::from_secs(1)).expect("valid"),
                        QuantaClock::default(),
                    ),
                )
                .headers_on_allowed(headers)
            };
            let governor = || {
                let mut config = tower_governor::governor::GovernorConfigBuilder::default();
                config.per_nanosecond(1).burst_size(u32::MAX);
                tower_governor::GovernorLayer::new(config.finish().expect("a valid quota"))
            };
            // `use_headers` returns a builder of another type (its middleware adds headers).
            let governor_headers = || {
                let mut config = tower_governor::governor::GovernorConfigBuilder::default();
                config.per_nanosecond(1).burst_size(u32::MAX);
                let config = config.use_headers().finish().expect("a valid quota");
                tower_governor::GovernorLayer::new(config)
            };
            // The same five headers as ours, sent by the handler itself: what they cost on the
            // wire and in both parsers, apart from any layer.
            let five = || {
                get(|| async {
                    (
                        [
                            ("ratelimit-policy", "\"default\";q=1000000000;w=1"),
                            ("ratelimit", "\"default\";r=999999999;t=1"),
                            ("x-ratelimit-limit", "1000000000"),
                            ("x-ratelimit-remaining", "999999999"),
                            ("x-ratelimit-reset", "1"),
                        ],
                        "ok",
                    )
                })
            };
            let routes: Vec<(&'static str, bool, Router)> = vec![
                (
                    "axum handler, no layer",
                    false,
                    Router::new().route("/", handler()),
                ),
                (
                    "brick-rate-limit RateLimitLayer, no headers on allowed responses",
                    true,
                    Router::new()
                        .route("/", handler())
                        .layer(ours(AllowedHeaders::None)),
                ),
                (
                    "tower_governor GovernorLayer, no headers",
                    false,
                    Router::new().route("/", handler()).layer(governor()),
                ),
                (
                    "brick-rate-limit RateLimitLayer, the two IETF headers on allowed responses",
                    true,
                    Router::new()
                        .route("/", handler())
                        .layer(ours(AllowedHeaders::Ietf)),
                ),
                (
                    "tower_governor GovernorLayer, use_headers (two headers)",
                    false,
                    Router::new()
                        .route("/", handler())
                        .layer(governor_headers()),
                ),
                (
                    "brick-rate-limit RateLimitLayer, all five headers on allowed responses",
                    true,
                    Router::new()
                        .route("/", handler())
                        .layer(ours(AllowedHeaders::All)),
                ),
                (
                    "axum handler sending the same five headers itself, no layer",
                    false,
                    Router::new().route("/", five()),
                ),
            ];
            let mut servers = Vec::new();
            for (name, ours, router) in routes {
                servers.push((name, ours, serve(router).await));
            }
            servers
        });
        ctx.step("rate-limit-http: requests (interleaved)");
        let mut samples = vec![Vec::new(); servers.len()];
        runtime.block_on(async {
            for (_, _, addr) in &servers {
                drive(*addr, requests / 4).await; // warm up: connections, caches
            }
            // Each run starts one server later, so no server always follows the same one.
            for run in 0..ctx.mode.runs() {
                for k in 0..servers.len() {
                    let i = (run + k) % servers.len();
                    samples[i].push(drive(servers[i].2, requests).await);
                }
            }
        });
        let ns: Vec<f64> = samples
            .iter()
            .map(|s| crate::harness::median(s).unwrap_or(f64::NAN))
            .collect();
        let mut out = Vec::new();
        for ((name, ours, _), t) in servers.iter().zip(&ns) {
            out.push(
                Record::new(BRICK, name, name, *ours, "request", params.clone())
                    .with_ns(*t)
                    .with_metric("overhead over the bare handler", t / ns[0] - 1.0, None),
            );
        }
        let overhead = |i: usize| ns[i] / ns[0] - 1.0;
        // (ours, the peer sending as many headers): the targets hold like for like.
        for (ours, peer, what) in [(1, 2, "without headers"), (3, 4, "with two headers")] {
            out.push(
                Record::target(BRICK, servers[ours].0, "overhead", params.clone())
                    .with_metric("share of the handler's time", overhead(ours), Some(0.05))
                    .at_most(),
            );
            out.push(
                Record::target(
                    BRICK,
                    servers[ours].0,
                    &format!("overhead vs tower_governor {what}"),
                    params.clone(),
                )
                .with_metric(
                    "ours - tower_governor's",
                    overhead(ours) - overhead(peer),
                    Some(0.0),
                )
                .at_most(),
            );
        }
        out
    }
}
