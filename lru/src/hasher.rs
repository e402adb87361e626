//! The hashers: the default, keyed per cache from a random source, and seeded XXH3 for
//! replays.

use std::hash::BuildHasher;

pub use crate::xxh3::{Xxh3BuildHasher, Xxh3Hasher};

/// The default hasher: foldhash's fast hasher (hashbrown's own default) with a key drawn for
/// each instance from a random source. Caches are often keyed by what users send (URLs, IDs,
/// headers); with a published fixed seed anyone could precompute keys that share one bucket
/// and turn every lookup into a long probe. With a key per cache, two caches built by `new`
/// hash the same key differently, and no key set can be aimed at one of them in advance.
///
/// For replays and tests that must repeat hit for hit, pass [`Xxh3BuildHasher`] explicitly.
#[derive(Debug, Clone, Default)]
pub struct DefaultBuildHasher(foldhash::fast::RandomState);

impl BuildHasher for DefaultBuildHasher {
    type Hasher = foldhash::fast::FoldHasher<'static>;
    #[inline(always)]
    fn build_hasher(&self) -> Self::Hasher {
        self.0.build_hasher()
    }
}
