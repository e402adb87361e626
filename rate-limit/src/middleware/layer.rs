//! [`RateLimitLayer`] and its service.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::{KeyExtractor, MissingKey, RequestKey, RequestParts};
use crate::{Algorithm, Clock, Decision, HeaderField, KeyedLimiter, Limiter, RateLimiter};

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
    ///
    /// Computes in **O(1)** time when the decision is ready; otherwise whatever the pending check
    /// awaits (a Redis limiter's round trip).
    pub async fn decision(self) -> Decision {
        match self {
            Check::Ready(d) => d,
            Check::Pending(f) => f.await,
        }
    }
}

/// What the middleware checks for a request: a limit keyed by the request's [`RequestKey`].
/// Implemented for a [`KeyedLimiter`] keyed by `String` (any key, as text) or by [`IpAddr`]
/// (peer-IP keys as they are: no text, 17 bytes a key), a [`Limiter`] (one limit for everyone:
/// the key is ignored) and, with feature `tokio`, a Redis limiter on an `AsyncRedisClient` (the
/// fleet's limit; never blocks a runtime thread). Implement it to route keys to tiers, as
/// `examples/axum_gateway.rs` does.
pub trait RequestLimiter: Send + Sync + 'static {
    /// Checks, and if allowed consumes, one unit of `key`'s limit.
    fn check<'a>(&'a self, key: &'a RequestKey<'_>) -> Check<'a>;

    /// Gives back the unit a `check(key)` just allowed: a multi-level layer calls it on the
    /// levels that allowed when a later one denies, so a denied request spends nothing. The
    /// default gives nothing back (right for limiters that cannot, such as Redis ones).
    fn release(&self, key: &RequestKey<'_>) {
        let _ = key;
    }
}

impl<A, C, S> RequestLimiter for KeyedLimiter<String, A, C, S>
where
    A: Algorithm + 'static,
    C: Clock + 'static,
    S: std::hash::BuildHasher + Clone + Send + Sync + 'static,
{
    fn check<'a>(&'a self, key: &'a RequestKey<'_>) -> Check<'a> {
        Check::Ready(KeyedLimiter::check(self, &*key.text()))
    }

    fn release(&self, key: &RequestKey<'_>) {
        KeyedLimiter::release(self, &*key.text(), 1);
    }
}

/// For peer-IP keys. A key that is text (a header's, a closure's) counts as the address it
/// spells, and is denied if it spells none: put an `IpAddr`-keyed limiter behind
/// [`KeyExtractor::peer_ip`] or a closure that returns addresses.
impl<A, C, S> RequestLimiter for KeyedLimiter<IpAddr, A, C, S>
where
    A: Algorithm + 'static,
    C: Clock + 'static,
    S: std::hash::BuildHasher + Clone + Send + Sync + 'static,
{
    fn check<'a>(&'a self, key: &'a RequestKey<'_>) -> Check<'a> {
        Check::Ready(match ip_of(key) {
            Some(ip) => KeyedLimiter::check(self, &ip),
            None => self.denial(),
        })
    }

    fn release(&self, key: &RequestKey<'_>) {
        if let Some(ip) = ip_of(key) {
            KeyedLimiter::release(self, &ip, 1);
        }
    }
}

fn ip_of(key: &RequestKey<'_>) -> Option<IpAddr> {
    key.ip().or_else(|| key.text().parse().ok())
}

impl<A, C> RequestLimiter for Limiter<A, C>
where
    A: Algorithm + 'static,
    C: Clock + 'static,
{
    fn check<'a>(&'a self, _key: &'a RequestKey<'_>) -> Check<'a> {
        Check::Ready(RateLimiter::check(self))
    }

    fn release(&self, _key: &RequestKey<'_>) {
        RateLimiter::release(self, 1);
    }
}

#[cfg(feature = "tokio")]
impl<A: crate::RedisAlgorithm> RequestLimiter for crate::RedisLimiter<A, crate::AsyncRedisClient> {
    fn check<'a>(&'a self, key: &'a RequestKey<'_>) -> Check<'a> {
        let key = key.text().to_owned();
        Check::Pending(Box::pin(async move {
            match self.check_async(&key).await {
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

/// Which headers an allowed response carries ([`RateLimitLayer::headers_on_allowed`]).
/// Denials always carry all of them and `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllowedHeaders {
    /// `RateLimit-Policy`, `RateLimit` and the three `X-RateLimit-*` (the default): what every
    /// client library looks for.
    #[default]
    All,
    /// The IETF draft's two, `RateLimit-Policy` and `RateLimit`.
    Ietf,
    /// The three `X-RateLimit-*`: `Limit`, `Remaining`, `Reset`.
    XRateLimit,
    /// None: allowed responses leave the layer as the inner service made them.
    None,
}

impl AllowedHeaders {
    fn includes(self, field: HeaderField) -> bool {
        match self {
            Self::All => true,
            Self::Ietf => matches!(field, HeaderField::Policy | HeaderField::RateLimit),
            Self::XRateLimit => matches!(
                field,
                HeaderField::Limit | HeaderField::Remaining | HeaderField::Reset
            ),
            Self::None => false,
        }
    }
}

struct Config {
    levels: Vec<(KeyExtractor, Arc<dyn RequestLimiter>)>,
    missing: MissingKey,
    allowed_headers: AllowedHeaders,
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
/// use brick_rate_limit::middleware::{AllowedHeaders, KeyExtractor, MissingKey, RateLimitLayer};
/// use http::HeaderName;
/// use std::time::Duration;
///
/// // Keys are text (API keys) here; a peer-IP limit would be `KeyedLimiter<IpAddr, _>`.
/// let per_key = KeyedLimiter::<String, _>::new(Gcra::new(100, Duration::from_secs(60))?, SystemClock::default());
/// let global = Limiter::with_system_clock(Gcra::new(10_000, Duration::from_secs(1))?);
/// let layer = RateLimitLayer::new(KeyExtractor::header(HeaderName::from_static("x-api-key")), per_key)
///     .and(KeyExtractor::from_fn(|_| Some("all".into())), global)
///     .on_missing_key(MissingKey::Reject) // 400 without an API key (the default)
///     .headers_on_allowed(AllowedHeaders::Ietf); // RateLimit-Policy and RateLimit only
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
    ///
    /// Computes in **O(1)** time.
    pub fn new(key: KeyExtractor, limiter: impl RequestLimiter) -> Self {
        Self {
            config: Arc::new(Config {
                levels: vec![(key, Arc::new(limiter))],
                missing: MissingKey::default(),
                allowed_headers: AllowedHeaders::All,
            }),
        }
    }

    /// Adds a level, checked after the others.
    ///
    /// Computes in **O(levels)** time.
    pub fn and(self, key: KeyExtractor, limiter: impl RequestLimiter) -> Self {
        self.with(|c| c.levels.push((key, Arc::new(limiter))))
    }

    /// What to answer when a level's key cannot be extracted (default: 400).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn on_missing_key(self, missing: MissingKey) -> Self {
        self.with(|c| c.missing = missing)
    }

    /// Which headers allowed responses carry (default: [`AllowedHeaders::All`], so clients
    /// can pace themselves). Denials always carry every one. Each header is bytes on the wire
    /// for both sides to write and parse: on a trivial handler over loopback, the five cost
    /// more than the layer's check itself (the `rate-limit-http` compare rows measure a
    /// handler that sends the same five headers with no layer), so
    /// [`AllowedHeaders::Ietf`] or [`AllowedHeaders::None`] suit high-rate internal APIs.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn headers_on_allowed(self, headers: AllowedHeaders) -> Self {
        self.with(|c| c.allowed_headers = headers)
    }

    fn with(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = Arc::try_unwrap(self.config).unwrap_or_else(|shared| Config {
            levels: shared.levels.clone(),
            missing: shared.missing,
            allowed_headers: shared.allowed_headers,
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

/// The headers of `d` that `which` includes into `response`; `Retry-After` only on a denial.
fn set_headers<B>(response: &mut Response<B>, d: &Decision, which: AllowedHeaders) {
    let headers = response.headers_mut();
    d.write_headers(
        |field| which.includes(field) || field == HeaderField::RetryAfter,
        |field, value| {
            // The values are digits, `"default"`, `;`, `=`: always valid header text.
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.insert(header_name(field), value);
            }
        },
    );
}

/// `field`'s name, built at compile time (no validation per request).
fn header_name(field: HeaderField) -> HeaderName {
    match field {
        HeaderField::Policy => const { HeaderName::from_static(HeaderField::Policy.lowercase()) },
        HeaderField::RateLimit => {
            const { HeaderName::from_static(HeaderField::RateLimit.lowercase()) }
        }
        HeaderField::Limit => const { HeaderName::from_static(HeaderField::Limit.lowercase()) },
        HeaderField::Remaining => {
            const { HeaderName::from_static(HeaderField::Remaining.lowercase()) }
        }
        HeaderField::Reset => const { HeaderName::from_static(HeaderField::Reset.lowercase()) },
        HeaderField::RetryAfter => http::header::RETRY_AFTER,
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
fn level_key<'r>(
    config: &Config,
    parts: &RequestParts<'r>,
    i: usize,
) -> Result<Option<RequestKey<'r>>, Refusal> {
    match (config.levels[i].0.extract(parts), config.missing) {
        (Some(key), _) => Ok(Some(key)),
        (None, MissingKey::Allow) => Ok(None),
        (None, MissingKey::Reject) => {
            release_before(config, parts, i);
            Err(Refusal::MissingKey)
        }
    }
}

/// Level `i`'s decision `d`: the 429 answer if it denies (after giving back what the levels
/// before granted), else kept in `tightest` if it has the fewest remaining so far.
/// Why the layer answers a request itself (kept small, so the common path moves no response).
enum Refusal {
    MissingKey,
    Denied(Decision),
}

impl Refusal {
    fn into_response<B: Default>(self) -> Response<B> {
        match self {
            Refusal::MissingKey => answer(StatusCode::BAD_REQUEST, None),
            Refusal::Denied(d) => answer(StatusCode::TOO_MANY_REQUESTS, Some(&d)),
        }
    }
}

fn apply(
    config: &Config,
    parts: &RequestParts<'_>,
    i: usize,
    d: Decision,
    tightest: &mut Option<Decision>,
) -> Result<(), Refusal> {
    if !d.allowed {
        release_before(config, parts, i);
        return Err(Refusal::Denied(d));
    }
    if tightest.is_none_or(|t| d.remaining < t.remaining) {
        *tightest = Some(d);
    }
    Ok(())
}

pin_project! {
    /// The future of [`RateLimitService`]: the inner service's response (with the headers of
    /// the tightest level when the layer adds them), an answer the layer made itself, or, when
    /// a level had to be awaited, the rest of the decision.
    pub struct ResponseFuture<F, RB, E> {
        #[pin]
        state: State<F, RB, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, RB, E> {
        Inner {
            #[pin]
            future: F,
            headers: Option<(Decision, AllowedHeaders)>,
        },
        Answer {
            response: Option<Response<RB>>,
        },
        Awaiting {
            future: Pin<Box<dyn Future<Output = Result<Response<RB>, E>> + Send>>,
        },
    }
}

impl<F, RB, E> std::fmt::Debug for ResponseFuture<F, RB, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, RB, E> ResponseFuture<F, RB, E> {
    fn answer(response: Response<RB>) -> Self {
        Self {
            state: State::Answer {
                response: Some(response),
            },
        }
    }

    /// The inner service's future; its response gets `tightest`'s headers if `config` says so.
    fn inner(future: F, tightest: Option<Decision>, config: &Config) -> Self {
        let headers = tightest
            .filter(|_| config.allowed_headers != AllowedHeaders::None)
            .map(|d| (d, config.allowed_headers));
        Self {
            state: State::Inner { future, headers },
        }
    }
}

impl<F, RB, E> Future for ResponseFuture<F, RB, E>
where
    F: Future<Output = Result<Response<RB>, E>>,
    RB: Default,
{
    type Output = Result<Response<RB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future, headers } => {
                let mut response = std::task::ready!(future.poll(cx))?;
                if let Some((d, which)) = headers.take() {
                    set_headers(&mut response, &d, which);
                }
                Poll::Ready(Ok(response))
            }
            // Polled again after it answered: the `Option` is gone, and a future polled after
            // completion may do anything but unsafe things; an empty 500 says something broke.
            StateProj::Answer { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| answer(StatusCode::INTERNAL_SERVER_ERROR, None)))),
            StateProj::Awaiting { future } => future.as_mut().poll(cx),
        }
    }
}

fn answer<B: Default>(status: StatusCode, decision: Option<&Decision>) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    if let Some(d) = decision {
        set_headers(&mut response, d, AllowedHeaders::All);
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
    type Future = ResponseFuture<S::Future, RB, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // In-process limiters decide at once: then the decision is made here, the inner
        // service, polled ready, is called directly, and the future is the inner one's (nothing
        // boxed). Only a level that must be awaited (Redis) moves the rest of the decision into a
        // boxed future, with a clone of the inner service.
        let config = &*self.config;
        let mut tightest: Option<Decision> = None;
        let mut pending_from = None;
        {
            let parts = parts_of(&request);
            for (i, (_, limiter)) in config.levels.iter().enumerate() {
                let key = match level_key(config, &parts, i) {
                    Ok(Some(key)) => key,
                    Ok(None) => continue,
                    Err(refusal) => return ResponseFuture::answer(refusal.into_response()),
                };
                match limiter.check(&key) {
                    Check::Ready(d) => {
                        if let Err(refusal) = apply(config, &parts, i, d, &mut tightest) {
                            return ResponseFuture::answer(refusal.into_response());
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
            return ResponseFuture::inner(self.inner.call(request), tightest, config);
        };
        // The service polled ready is the one to call; leave a clone for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        let future = Box::pin(async move {
            for i in from..config.levels.len() {
                let key = match level_key(&config, &parts_of(&request), i) {
                    Ok(Some(key)) => key,
                    Ok(None) => continue,
                    Err(refusal) => return Ok(refusal.into_response()),
                };
                let d = config.levels[i].1.check(&key).decision().await;
                if let Err(refusal) = apply(&config, &parts_of(&request), i, d, &mut tightest) {
                    return Ok(refusal.into_response());
                }
            }
            ResponseFuture::inner(inner.call(request), tightest, &config).await
        });
        ResponseFuture {
            state: State::Awaiting { future },
        }
    }
}
