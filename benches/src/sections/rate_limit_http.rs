//! brick-rate-limit's tower middleware against tower_governor's, on an axum server over
//! loopback: what each layer costs a trivial handler.

use crate::{Ctx, Record, Section};
use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use brick_rate_limit::middleware::{KeyExtractor, RateLimitLayer};
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
             with tower_governor's (`GovernorLayer`, its peer-IP key, likewise unreachable). The \
             three servers take turns, run after run. `overhead` is the layer's extra time per \
             request over the bare handler. Targets: ours ≤ 5 % of the handler's time and ≤ \
             tower_governor's overhead."
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
        let addrs = runtime.block_on(async {
            let handler = || get(|| async { "ok" });
            let ours = |headers: bool| {
                RateLimitLayer::new(
                    KeyExtractor::peer_ip_with(|e| {
                        e.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
                    }),
                    KeyedLimiter::new(
                        Gcra::new(1_000_000_000, Duration::from_secs(1)).expect("valid"),
                        QuantaClock::default(),
                    ),
                )
                .headers_on_allowed(headers)
            };
            let plain = Router::new().route("/", handler());
            let ours_headers = Router::new().route("/", handler()).layer(ours(true));
            let ours_bare = Router::new().route("/", handler()).layer(ours(false));
            let governor_bare = tower_governor::governor::GovernorConfigBuilder::default()
                .per_nanosecond(1)
                .burst_size(u32::MAX)
                .finish()
                .expect("a valid quota");
            let governor_headers = tower_governor::governor::GovernorConfigBuilder::default()
                .per_nanosecond(1)
                .burst_size(u32::MAX)
                .use_headers()
                .finish()
                .expect("a valid quota");
            let governor_bare = Router::new()
                .route("/", handler())
                .layer(tower_governor::GovernorLayer::new(governor_bare));
            let governor_headers = Router::new()
                .route("/", handler())
                .layer(tower_governor::GovernorLayer::new(governor_headers));
            [
                serve(plain).await,
                serve(ours_headers).await,
                serve(governor_headers).await,
                serve(ours_bare).await,
                serve(governor_bare).await,
            ]
        });
        ctx.step("rate-limit-http: requests (interleaved)");
        let mut samples = [Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        runtime.block_on(async {
            for addr in addrs {
                drive(addr, requests / 4).await; // warm up: connections, caches, the JIT-less CPU
            }
            for _ in 0..ctx.mode.runs() {
                for (i, addr) in addrs.iter().enumerate() {
                    samples[i].push(drive(*addr, requests).await);
                }
            }
        });
        let ns: Vec<f64> = samples
            .iter()
            .map(|s| crate::harness::median(s).unwrap_or(f64::NAN))
            .collect();
        let names = [
            ("axum handler, no layer", false),
            (
                "brick-rate-limit RateLimitLayer, headers on every response",
                true,
            ),
            ("tower_governor GovernorLayer, use_headers", false),
            (
                "brick-rate-limit RateLimitLayer, headers on denials only",
                true,
            ),
            ("tower_governor GovernorLayer, no headers", false),
        ];
        let mut out = Vec::new();
        for ((name, ours), t) in names.iter().zip(&ns) {
            out.push(
                Record::new(BRICK, name, name, *ours, "request", params.clone())
                    .with_ns(*t)
                    .with_metric("overhead over the bare handler", t / ns[0] - 1.0, None),
            );
        }
        let overhead = |i: usize| ns[i] / ns[0] - 1.0;
        for (ours, peer, what) in [(1, 2, "with headers"), (3, 4, "without headers")] {
            out.push(
                Record::target(BRICK, names[ours].0, "overhead", params.clone()).with_metric(
                    "share of the handler's time",
                    overhead(ours),
                    Some(0.05),
                ),
            );
            out.push(
                Record::target(
                    BRICK,
                    names[ours].0,
                    &format!("overhead vs tower_governor {what}"),
                    params.clone(),
                )
                .with_metric(
                    "ours - tower_governor's",
                    overhead(ours) - overhead(peer),
                    Some(0.0),
                ),
            );
        }
        out
    }
}
