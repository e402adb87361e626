//! An API gateway's rate limits as the system-design guides draw them: every request passes the
//! limiter before any business logic, two plans (free: 100 per minute, pro: 10,000 per minute)
//! keyed by the API key, a global ceiling over everyone, and 429 with `Retry-After` and the
//! `RateLimit` / `X-RateLimit-*` headers for the client that goes over.
//!
//! Runs an axum server on a loopback port, sends it a burst from a free and a pro client, prints
//! what each got, and exits:
//! `cargo run -p brick-rate-limit --features tower --example axum_gateway`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use brick_rate_limit::middleware::{
    Check, KeyExtractor, RateLimitLayer, RequestKey, RequestLimiter,
};
use brick_rate_limit::{Gcra, KeyedLimiter, Limiter, SystemClock};
use http::{Request, StatusCode};
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Free,
    Pro,
}

/// One limit per API key, sized by the key's plan.
struct Plans {
    plan_of: Arc<HashMap<String, Plan>>,
    free: KeyedLimiter<String, Gcra>,
    pro: KeyedLimiter<String, Gcra>,
}

impl RequestLimiter for Plans {
    fn check<'a>(&'a self, key: &'a RequestKey<'_>) -> Check<'a> {
        // The key extractor only lets known keys through, so the plan is there.
        match self.plan_of.get(&*key.text()) {
            Some(Plan::Pro) => RequestLimiter::check(&self.pro, key),
            _ => RequestLimiter::check(&self.free, key),
        }
    }

    fn release(&self, key: &RequestKey<'_>) {
        match self.plan_of.get(&*key.text()) {
            Some(Plan::Pro) => RequestLimiter::release(&self.pro, key),
            _ => RequestLimiter::release(&self.free, key),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let minute = Duration::from_secs(60);
    let plan_of: Arc<HashMap<String, Plan>> = Arc::new(
        [("key-free-7", Plan::Free), ("key-pro-42", Plan::Pro)]
            .into_iter()
            .map(|(k, p)| (k.to_owned(), p))
            .collect(),
    );
    let plans = Plans {
        plan_of: Arc::clone(&plan_of),
        free: KeyedLimiter::new(Gcra::new(100, minute)?, SystemClock::default()),
        pro: KeyedLimiter::new(Gcra::new(10_000, minute)?, SystemClock::default()),
    };
    // Unknown or missing API keys get 400 before any limiter (the layer's default).
    let known = Arc::clone(&plan_of);
    let api_key = KeyExtractor::from_fn(move |req| {
        let key = req.headers.get("x-api-key")?.to_str().ok()?;
        known.contains_key(key).then(|| key.to_owned())
    });
    let everyone = Limiter::with_system_clock(Gcra::new(50_000, Duration::from_secs(1))?);
    let gateway = RateLimitLayer::new(api_key, plans)
        .and(KeyExtractor::from_fn(|_| Some("all".into())), everyone);
    let app = Router::new()
        .route("/v1/orders", get(|| async { "orders" }))
        .layer(gateway);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
    for key in ["key-free-7", "key-pro-42", "no-such-key"] {
        let (mut ok, mut limited, mut other) = (0, 0, 0);
        let mut first_429 = None;
        for _ in 0..150 {
            let req = Request::get(format!("http://{addr}/v1/orders"))
                .header("x-api-key", key)
                .body(Empty::new())?;
            let response = client.request(req).await?;
            match response.status() {
                StatusCode::OK => ok += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    limited += 1;
                    first_429.get_or_insert_with(|| response.headers().clone());
                }
                _ => other += 1,
            }
        }
        println!("{key}: {ok} served, {limited} answered 429, {other} refused as unknown");
        if let Some(h) = first_429 {
            for name in [
                "retry-after",
                "ratelimit-policy",
                "ratelimit",
                "x-ratelimit-remaining",
            ] {
                if let Some(v) = h.get(name) {
                    println!("    {name}: {}", v.to_str()?);
                }
            }
        }
    }
    Ok(())
}
