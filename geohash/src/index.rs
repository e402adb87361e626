//! An in-memory proximity index: keys at points, sorted by their 52-bit cell.

use crate::cover::cover_with;
use crate::hash::full_indices;
use crate::point::{EARTH_RADIUS_M, haversine};
use crate::{Error, Point};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// Finest cover precision the index uses: 10 characters = 50 bits, within its 52-bit keys.
const INDEX_MAX_PRECISION: u8 = 10;

/// The 52-bit cell of a point (26 bits per axis, standard ranges): a 10.4-character geohash.
/// Nearby points share long prefixes, so a cell of any precision is one contiguous key range.
fn cell52(p: Point) -> u64 {
    let (lat_i, lon_i) = full_indices(p.lat(), p.lon());
    crate::GeoHash::from_point_indices(lat_i, lon_i) >> 8
}

/// One match of a query: the key, its point and its distance from the query centre in metres.
pub type Hit<'a, K> = (&'a K, Point, f64);

/// Keys at points, answering "what is within r metres" and "the k nearest".
///
/// Points are kept in an ordered map keyed by their 52-bit cell, so a radius query is a few range
/// scans: [`crate::cover`] picks the cells around the circle, each cell is one key range, and
/// only the points in those ranges are measured. Each map entry carries its point and key, so a
/// scan reads memory in order instead of chasing one pointer per candidate. Re-inserting a key
/// moves it (a driver's new position replaces the old, like GEOADD). Keys are stored twice (in
/// the map and in the key → cell lookup), so prefer small keys (ids) over large ones.
#[derive(Debug, Clone)]
pub struct GeoIndex<K> {
    /// Key → its entry's map position (cell, sequence number).
    by_key: HashMap<K, (u64, u64)>,
    /// (cell, sequence number) → (point, key). The sequence number keeps equal cells apart.
    cells: BTreeMap<(u64, u64), (Point, K)>,
    next_seq: u64,
}

impl<K: Hash + Eq + Clone> Default for GeoIndex<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone> GeoIndex<K> {
    /// An empty index.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self {
            by_key: HashMap::new(),
            cells: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Number of keys.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the index is empty.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Puts `key` at `point`, returning its previous point if it had one.
    ///
    /// Computes in **O(log n)** time.
    pub fn insert(&mut self, key: K, point: Point) -> Option<Point> {
        let pos = (cell52(point), self.next_seq);
        self.next_seq += 1;
        let old = match self.by_key.insert(key.clone(), pos) {
            Some(old_pos) => self.cells.remove(&old_pos).map(|(p, _)| p),
            None => None,
        };
        self.cells.insert(pos, (point, key));
        old
    }

    /// Removes `key`, returning its point.
    ///
    /// Computes in **O(log n)** time.
    pub fn remove(&mut self, key: &K) -> Option<Point> {
        let pos = self.by_key.remove(key)?;
        self.cells.remove(&pos).map(|(p, _)| p)
    }

    /// The point of `key`.
    ///
    /// Computes in **O(log n)** time.
    pub fn get(&self, key: &K) -> Option<Point> {
        let pos = self.by_key.get(key)?;
        self.cells.get(pos).map(|(p, _)| *p)
    }

    /// Every key within `radius_m` metres of `center` (great-circle distance on a sphere of
    /// [`EARTH_RADIUS_M`]), nearest first.
    ///
    /// Computes in **O(c log n + m log m)** time for c covering cells and m points in them.
    ///
    /// # Errors
    /// - [`Error::InvalidRadius`] for a negative, NaN or infinite radius.
    pub fn within(&self, center: Point, radius_m: f64) -> Result<Vec<Hit<'_, K>>, Error> {
        let cells = cover_with(
            center,
            radius_m,
            INDEX_MAX_PRECISION,
            crate::cover::DEFAULT_MAX_CELLS,
        )?;
        let mut hits = Vec::new();
        let mut last_end = 0u64;
        for cell in cells {
            let shift = 52 - 5 * u32::from(cell.len());
            let (lo, hi) = (cell.as_u64() << shift, (cell.as_u64() + 1) << shift);
            // Sorted, non-overlapping cells: skip a range already scanned.
            let lo = lo.max(last_end);
            if lo >= hi {
                continue;
            }
            last_end = hi;
            for (point, key) in self.cells.range((lo, 0)..(hi, 0)).map(|(_, v)| v) {
                let d = haversine(center, *point);
                if d <= radius_m {
                    hits.push((key, *point, d));
                }
            }
        }
        hits.sort_by(|a, b| a.2.total_cmp(&b.2));
        Ok(hits)
    }

    /// The `count` keys nearest to `center`, nearest first (fewer if the index holds fewer).
    ///
    /// Searches growing circles (×4 radius each round) until one holds `count` keys: every key
    /// outside a circle is farther than every key inside it, so the first `count` are exact.
    ///
    /// Computes in **O(r · (c log n + m log m))** time for r rounds (radius ×4 each; about log₄ of
    /// the distance to the `count`-th key over 250 m), each as [`within`](Self::within).
    #[must_use]
    pub fn nearest(&self, center: Point, count: usize) -> Vec<Hit<'_, K>> {
        if count == 0 || self.is_empty() {
            return Vec::new();
        }
        let half_circumference = std::f64::consts::PI * EARTH_RADIUS_M;
        let mut radius: f64 = 250.0;
        loop {
            let r = radius.min(half_circumference);
            // Radius is finite and positive, so `within` cannot fail.
            let mut hits = self.within(center, r).unwrap_or_default();
            if hits.len() >= count || r >= half_circumference {
                hits.truncate(count);
                return hits;
            }
            radius *= 4.0;
        }
    }

    /// All entries, in cell order.
    ///
    /// Computes in **O(1)** time; iterating is O(n).
    pub fn iter(&self) -> impl Iterator<Item = (&K, Point)> + '_ {
        self.cells.values().map(|(p, k)| (k, *p))
    }
}

impl<K: Hash + Eq + Clone> Extend<(K, Point)> for GeoIndex<K> {
    /// Inserts or moves every key, as a loop of [`insert`](GeoIndex::insert) would. Computes in
    /// **O(log n)** time per key.
    fn extend<I: IntoIterator<Item = (K, Point)>>(&mut self, entries: I) {
        for (key, point) in entries {
            self.insert(key, point);
        }
    }
}

impl<K: Hash + Eq + Clone> FromIterator<(K, Point)> for GeoIndex<K> {
    /// An index of these keys (a key given twice ends at its last point).
    fn from_iter<I: IntoIterator<Item = (K, Point)>>(entries: I) -> Self {
        let mut index = Self::new();
        index.extend(entries);
        index
    }
}
