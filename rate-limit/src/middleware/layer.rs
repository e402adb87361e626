//! [`RateLimitLayer`] and its service.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::{KeyExtractor, MissingKey, RequestParts};
use crate::{Algorithm, Clock, Decision, KeyedLimiter, Limiter, RateLimiter};

/// A boxed future of a [`Decision`].
pub type DecisionFuture<'a> = Pin<Box<dyn Future<Output = Decision> + Send + 'a>>;

/// What [`RequestLimiter::check`] answers: the decision at once (an in-process limiter: no
/// allocation, no await), or a future of it (a limiter across the network).
pub enum Check<'a> {
    /// Decided.
    Ready(Decision),
    /// To be awaited.
    Pending(DecisionFuture<'a>),
}

impl std::fmt::Debug for Check<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Ready(d) => f.debug_tuple("Check::Ready").field(d).finish(),
            Check::Pending(_) => f.write_str("Check::Pending"),
        }
    }
}

impl Check<'_> {
    /// The decision, awaiting it if it is pending.
    pub async fn decision(self) -> Decision {
        match self {
            Check::Ready(d) => d,
            Check::Pending(f) => f.await,
        }
    }
}

/// What the middleware checks for a request: a limit keyed by a string. Implemented for a
/// [`KeyedLimiter<String, _>`] (one limit per key, in process), a [`Limiter`] (one limit for
/// everyone: the key is ignored) and, with feature `tokio`, a Redis limiter on an
/// `AsyncRedisClient` (the fleet's limit; never blocks a runtime thread). Implement it to
/// route keys to tiers, as `examples/axum_gateway.rs` does.
pub trait RequestLimiter: Send + Sync + 'static {
    /// Checks, and if allowed consumes, one unit of `key`'s limit.
    fn check<'a>(&'a self, key: &'a str) -> Check<'a>;

    /// Gives back the unit a `check(key)` just allowed: a multi-level layer calls it on the
    /// levels that allowed when a later one denies, so a denied request spends nothing. The
    /// default gives nothing back (right for limiters that cannot, such as Redis ones).
    fn release(&self, key: &str) {
        let _ = key;
    }
}

impl<A, C, S> RequestLimiter for KeyedLimiter<String, A, C, S>
where
    A: Algorithm + 'static,
    C: Clock + 'static,
    S: std::hash::BuildHasher + Clone + Send + Sync + 'static,
{
    fn check<'a>(&'a self, key: &'a str) -> Check<'a> {
        Check::Ready(KeyedLimiter::check(self, key))
    }

    fn release(&self, key: &str) {
        KeyedLimiter::release(self, key, 1);
    }
}

impl<A, C> RequestLimiter for Limiter<A, C>
where
    A: Algorithm + 'static,
    C: Clock + 'static,
{
    fn check<'a>(&'a self, _key: &'a str) -> Check<'a> {
        Check::Ready(RateLimiter::check(self))
    }

    fn release(&self, _key: &str) {
        RateLimiter::release(self, 1);
    }
}

#[cfg(feature = "tokio")]
impl<A: crate::RedisAlgorithm> RequestLimiter for crate::RedisLimiter<A, crate::AsyncRedisClient> {
    fn check<'a>(&'a self, key: &'a str) -> Check<'a> {
        Check::Pending(Box::pin(async move {
            match self.check_async(key).await {
                Ok(d) => d.decision,
                // Only an empty key or a cost above the limit's capacity: the layer sends
                // neither, but a denial is the safe answer to both.
                Err(_) => {
                    let (limit, window) = self.policy();
                    crate::limiter::exceeds(1, 0, limit, window).denial
                }
            }
        }))
    }
}

struct Config {
    levels: Vec<(KeyExtractor, Arc<dyn RequestLimiter>)>,
    missing: MissingKey,
    headers_on_allowed: bool,
}

/// Checks a limit before the inner service: a denied request gets `429 Too Many Requests`
/// with `Retry-After`, the IETF draft's `RateLimit-Policy` and `RateLimit`, and the
/// `X-RateLimit-*` headers ([`Decision::headers`]), and never reaches the service; an allowed
/// one reaches it, and its response carries the same headers but `Retry-After`.
///
/// Several levels (per user, then global) are checked in order as one: the first denial
/// answers, and the units the earlier levels granted are given back ([`RequestLimiter::release`]),
/// as [`Hierarchy`](crate::Hierarchy) does. The headers of an allowed request are the level
/// with the fewest remaining.
///
/// ```
/// use brick_rate_limit::{Gcra, KeyedLimiter, Limiter, SystemClock};
/// use brick_rate_limit::middleware::{KeyExtractor, MissingKey, RateLimitLayer};
/// use http::HeaderName;
/// use std::time::Duration;
///
/// let per_key = KeyedLimiter::new(Gcra::new(100, Duration::from_secs(60))?, SystemClock::default());
/// let global = Limiter::with_system_clock(Gcra::new(10_000, Duration::from_secs(1))?);
/// let layer = RateLimitLayer::new(KeyExtractor::header(HeaderName::from_static("x-api-key")), per_key)
///     .and(KeyExtractor::from_fn(|_| Some("all".into())), global)
///     .on_missing_key(MissingKey::Reject); // 400 without an API key (the default)
/// // axum: Router::new().route("/", get(handler)).layer(layer)
/// # let _ = layer;
/// # Ok::<(), brick_rate_limit::Error>(())
/// ```
///
/// **Cancellation.** In-process levels decide without yielding, so a dropped request future
/// never leaves one level charged and another not. A Redis level awaits its round trip: with
/// several levels and a Redis one after an in-process one, a request dropped during that round
/// trip keeps the in-process unit. Keep Redis limits in one level (a Redis hierarchy checks all
/// its keys in one script) when that matters.
#[derive(Clone)]
pub struct RateLimitLayer {
    config: Arc<Config>,
}

impl std::fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("levels", &self.config.levels.len())
            .field("missing", &self.config.missing)
            .finish()
    }
}

impl RateLimitLayer {
    /// One level: `limiter`, keyed by `key`.
    pub fn new(key: KeyExtractor, limiter: impl RequestLimiter) -> Self {
        Self {
            config: Arc::new(Config {
                levels: vec![(key, Arc::new(limiter))],
                missing: MissingKey::default(),
                headers_on_allowed: true,
            }),
        }
    }

    /// Adds a level, checked after the others.
    pub fn and(self, key: KeyExtractor, limiter: impl RequestLimiter) -> Self {
        self.with(|c| c.levels.push((key, Arc::new(limiter))))
    }

    /// What to answer when a level's key cannot be extracted (default: 400).
    pub fn on_missing_key(self, missing: MissingKey) -> Self {
        self.with(|c| c.missing = missing)
    }

    /// Whether allowed responses carry the `RateLimit` and `X-RateLimit-*` headers (default:
    /// yes, as the IETF draft recommends, so clients can pace themselves). Denials always carry
    /// them. Five headers are a few hundred bytes a response to write and parse: on a trivial
    /// handler over loopback, most of the layer's cost (the `rate-limit-http` compare rows).
    pub fn headers_on_allowed(self, on: bool) -> Self {
        self.with(|c| c.headers_on_allowed = on)
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = Arc::try_unwrap(self.config).unwrap_or_else(|shared| Config {
            levels: shared.levels.clone(),
            missing: shared.missing,
            headers_on_allowed: shared.headers_on_allowed,
        });
        change(&mut config);
        Self {
            config: Arc::new(config),
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimitService<S>;

    fn layer(&self, inner: S) -> RateLimitService<S> {
        RateLimitService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`RateLimitLayer`] wraps around an inner one.
#[derive(Clone)]
pub struct RateLimitService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> std::fmt::Debug for RateLimitService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitService").finish_non_exhaustive()
    }
}

/// `headers` of `d` into `response`; `Retry-After` only on a denial.
fn set_headers<B>(response: &mut Response<B>, d: &Decision) {
    for (name, value) in d.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(lowercase(name)), value);
        }
    }
}

/// The header names of [`Decision::headers`] as `http` wants them: lowercase.
fn lowercase(name: &'static str) -> &'static str {
    match name {
        "RateLimit-Policy" => "ratelimit-policy",
        "RateLimit" => "ratelimit",
        "X-RateLimit-Limit" => "x-ratelimit-limit",
        "X-RateLimit-Remaining" => "x-ratelimit-remaining",
        "X-RateLimit-Reset" => "x-ratelimit-reset",
        "Retry-After" => "retry-after",
        _ => "x-ratelimit-other",
    }
}

/// What extractors see of `request`.
fn parts_of<B>(request: &Request<B>) -> RequestParts<'_> {
    RequestParts {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
        extensions: request.extensions(),
    }
}

/// Gives back what the levels before `i` granted (their keys extracted again: the rare path
/// pays, not every request).
fn release_before(config: &Config, parts: &RequestParts<'_>, i: usize) {
    for (extractor, granted) in &config.levels[..i] {
        if let Some(key) = extractor.extract(parts) {
            granted.release(&key);
        }
    }
}

/// Level `i`'s key: `Ok(None)` to skip the level (a missing key under [`MissingKey::Allow`]),
/// or the 400 answer (after giving back what the levels before granted).
fn level_key<RB: Default>(
    config: &Config,
    parts: &RequestParts<'_>,
    i: usize,
) -> Result<Option<String>, Response<RB>> {
    match (config.levels[i].0.extract(parts), config.missing) {
        (Some(key), _) => Ok(Some(key)),
        (None, MissingKey::Allow) => Ok(None),
        (None, MissingKey::Reject) => {
            release_before(config, parts, i);
            Err(answer(StatusCode::BAD_REQUEST, None))
        }
    }
}

/// Level `i`'s decision `d`: the 429 answer if it denies (after giving back what the levels
/// before granted), else kept in `tightest` if it has the fewest remaining so far.
fn apply<RB: Default>(
    config: &Config,
    parts: &RequestParts<'_>,
    i: usize,
    d: Decision,
    tightest: &mut Option<Decision>,
) -> Result<(), Response<RB>> {
    if !d.allowed {
        release_before(config, parts, i);
        return Err(answer(StatusCode::TOO_MANY_REQUESTS, Some(&d)));
    }
    if tightest.is_none_or(|t| d.remaining < t.remaining) {
        *tightest = Some(d);
    }
    Ok(())
}

/// The inner service's response, with the tightest level's headers when the layer adds them to
/// allowed responses.
async fn with_headers<RB, E>(
    response: impl Future<Output = Result<Response<RB>, E>>,
    tightest: Option<Decision>,
    config: Arc<Config>,
) -> Result<Response<RB>, E> {
    let mut response = response.await?;
    if let Some(d) = tightest.filter(|_| config.headers_on_allowed) {
        set_headers(&mut response, &d);
    }
    Ok(response)
}

/// An answer made without the inner service, as the service's future.
fn ready<RB: Send + 'static, E: Send + 'static>(
    response: Response<RB>,
) -> Pin<Box<dyn Future<Output = Result<Response<RB>, E>> + Send>> {
    Box::pin(std::future::ready(Ok(response)))
}

fn answer<B: Default>(status: StatusCode, decision: Option<&Decision>) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    if let Some(d) = decision {
        set_headers(&mut response, d);
    }
    response
}

impl<S, B, RB> Service<Request<B>> for RateLimitService<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<RB>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // In-process limiters decide at once: then the decision is made here and the inner
        // service, polled ready, is called directly. Only a level that must be awaited (Redis)
        // moves the rest of the decision into the future, with a clone of the inner service.
        let config = Arc::clone(&self.config);
        let mut tightest: Option<Decision> = None;
        let mut pending_from = None;
        {
            let parts = parts_of(&request);
            for (i, (_, limiter)) in config.levels.iter().enumerate() {
                let key = match level_key(&config, &parts, i) {
                    Ok(Some(key)) => key,
                    Ok(None) => continue,
                    Err(answer) => return ready(answer),
                };
                match limiter.check(&key) {
                    Check::Ready(d) => {
                        if let Err(answer) = apply(&config, &parts, i, d, &mut tightest) {
                            return ready(answer);
                        }
                    }
                    // Not yet polled, so nothing happened: the future below checks it again.
                    Check::Pending(_) => {
                        pending_from = Some(i);
                        break;
                    }
                }
            }
        }
        let Some(from) = pending_from else {
            return Box::pin(with_headers(self.inner.call(request), tightest, config));
        };
        // The service polled ready is the one to call; leave a clone for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            for i in from..config.levels.len() {
                let key = match level_key(&config, &parts_of(&request), i) {
                    Ok(Some(key)) => key,
                    Ok(None) => continue,
                    Err(answer) => return Ok(answer),
                };
                let d = config.levels[i].1.check(&key).decision().await;
                if let Err(answer) = apply(&config, &parts_of(&request), i, d, &mut tightest) {
                    return Ok(answer);
                }
            }
            with_headers(inner.call(request), tightest, config).await
        })
    }
}
