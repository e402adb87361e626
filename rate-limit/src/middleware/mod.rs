//! A tower middleware that answers 429 (feature `tower`): [`RateLimitLayer`] checks a limiter
//! before the inner service, keyed by what a [`KeyExtractor`] reads off the request.
//!
//! Works with any tower-based HTTP stack that uses the `http` crate's types (axum, tonic,
//! hyper's service adapters): the inner service's response body must implement `Default`, which
//! is the empty body of the 429 and 400 answers.

mod key;
mod layer;

pub use key::{KeyExtractor, KeyText, MissingKey, RequestKey, RequestParts, TrustedProxies};
pub use layer::{
    AllowedHeaders, Check, DecisionFuture, RateLimitLayer, RateLimitService, RequestLimiter,
    ResponseFuture,
};
