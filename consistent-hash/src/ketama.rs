//! Ketama: the memcached clients' ring (libketama, and Python's uhashring), point for point.

use md5::{Digest, Md5};

/// Which ketama implementation to agree with. They differ in two corners:
/// - the points per node: uhashring computes ⌊40 · n · w / W⌋ in integers, libketama
///   `floorf((float)w / (float)W * 40.0 * (float)n)`, which float rounding drops to 39 groups
///   for some n (61 equal nodes is the first);
/// - a key whose hash equals a point exactly: libketama takes that point, uhashring the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KetamaFlavor {
    /// uhashring 2.x (`hash_fn="ketama"`).
    #[default]
    Uhashring,
    /// libketama (the C library behind most memcached clients).
    Libketama,
}

/// A ketama continuum: node `name` with weight w gets ks groups of 4 points, group k being the
/// four little-endian u32 words of MD5("{name}-{k}"); a key goes to the first point clockwise
/// from the first little-endian u32 of MD5(key). Interoperates with memcached clients.
#[derive(Debug, Clone)]
pub struct KetamaRing {
    flavor: KetamaFlavor,
    nodes: Vec<(String, u32)>,
    /// Sorted (point, node index).
    points: Vec<(u32, u32)>,
}

/// The 32-bit ketama hash of a key: the first little-endian word of its MD5.
///
/// Computes in **O(len)** time: one MD5 of the key.
#[must_use]
pub fn ketama_hash(key: &[u8]) -> u32 {
    let d = Md5::digest(key);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

impl KetamaRing {
    /// An empty ring following `flavor`.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new(flavor: KetamaFlavor) -> Self {
        Self {
            flavor,
            nodes: Vec::new(),
            points: Vec::new(),
        }
    }

    /// Adds `name` with `weight` and rebuilds the continuum (every node's point count depends
    /// on n and the total weight, as in both libraries).
    ///
    /// Computes in **O(P log P)** time for P points: every node's points are recomputed (MD5s) and
    /// sorted.
    ///
    /// # Errors
    /// - [`crate::Error::DuplicateNode`]; [`crate::Error::InvalidWeight`] for weight 0.
    pub fn add(&mut self, name: &str, weight: u32) -> Result<(), crate::Error> {
        if weight == 0 {
            return Err(crate::Error::InvalidWeight(0.0));
        }
        if self.nodes.iter().any(|(n, _)| n == name) {
            return Err(crate::Error::DuplicateNode);
        }
        self.nodes.push((name.to_owned(), weight));
        self.rebuild();
        Ok(())
    }

    /// Removes `name` and rebuilds; returns whether it was there.
    ///
    /// Computes in **O(P log P)** time for P points, as [`add`](Self::add).
    pub fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self.nodes.iter().position(|(n, _)| n == name) else {
            return false;
        };
        self.nodes.remove(i);
        self.rebuild();
        true
    }

    /// Groups of 4 points for a node of weight `w`.
    fn groups(&self, w: u32) -> u64 {
        let n = self.nodes.len() as u64;
        let total: u64 = self.nodes.iter().map(|(_, w)| u64::from(*w)).sum();
        match self.flavor {
            // In u128: 40 · n · w passes u64 for n above 10^8 at the largest weights.
            KetamaFlavor::Uhashring => {
                (40 * u128::from(n) * u128::from(w) / u128::from(total)) as u64
            }
            KetamaFlavor::Libketama => {
                // float ratio, then double arithmetic (40.0 is a double literal in C), then the
                // conversion to float that floorf's argument makes.
                let pct = w as f32 / total as f32;
                let x = f64::from(pct) * 40.0 * f64::from(n as f32);
                (x as f32).floor() as u64
            }
        }
    }

    fn rebuild(&mut self) {
        let mut points = Vec::new();
        for (i, (name, w)) in self.nodes.iter().enumerate() {
            for k in 0..self.groups(*w) {
                let d = Md5::digest(format!("{name}-{k}").as_bytes());
                for j in 0..4 {
                    points.push((
                        u32::from_le_bytes([d[4 * j], d[4 * j + 1], d[4 * j + 2], d[4 * j + 3]]),
                        i as u32,
                    ));
                }
            }
        }
        points.sort_unstable();
        self.points = points;
    }

    /// The node for `key` (its UTF-8 or raw bytes); `None` when empty.
    ///
    /// Computes in **O(log P)** after one MD5.
    #[must_use]
    pub fn get(&self, key: &[u8]) -> Option<&str> {
        self.get_hash(ketama_hash(key))
    }

    /// The node for a precomputed [`ketama_hash`].
    ///
    /// Computes in **O(log P)** time: a binary search of the continuum.
    #[must_use]
    pub fn get_hash(&self, h: u32) -> Option<&str> {
        if self.points.is_empty() {
            return None;
        }
        let i = match self.flavor {
            KetamaFlavor::Libketama => self.points.partition_point(|&(p, _)| p < h),
            KetamaFlavor::Uhashring => self.points.partition_point(|&(p, _)| p <= h),
        };
        let i = if i == self.points.len() { 0 } else { i };
        Some(&self.nodes[self.points[i].1 as usize].0)
    }

    /// Points per node, in insertion order.
    ///
    /// Computes in **O(P)** time.
    #[must_use]
    pub fn points_per_node(&self) -> Vec<(&str, u64)> {
        let mut counts = vec![0u64; self.nodes.len()];
        for &(_, i) in &self.points {
            counts[i as usize] += 1;
        }
        self.nodes
            .iter()
            .zip(counts)
            .map(|((n, _), c)| (n.as_str(), c))
            .collect()
    }

    /// The continuum as (point, node name), ascending.
    ///
    /// Computes in **O(1)** time; iterating is O(P).
    pub fn continuum(&self) -> impl Iterator<Item = (u32, &str)> + '_ {
        self.points
            .iter()
            .map(|&(p, i)| (p, self.nodes[i as usize].0.as_str()))
    }

    /// Which client's continuum this is.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn flavor(&self) -> KetamaFlavor {
        self.flavor
    }

    /// The nodes with their weights, in insertion order.
    ///
    /// Computes in **O(1)** time; iterating is O(n).
    pub fn nodes(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.nodes.iter().map(|(n, w)| (n.as_str(), *w))
    }

    /// Number of nodes.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the ring has no nodes.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}
