#![forbid(unsafe_code)]
//! Geohashes: a point on Earth becomes a short sortable key whose prefixes are the cells
//! containing it, so nearby points share prefixes and a radius query becomes a few key-range scans.
//!
//! # Example
//! ```
//! use brick_geohash::{encode, haversine, GeoIndex, Point, Direction};
//!
//! let h = encode(57.64911, 10.40744, 11)?;           // Skagen, Denmark
//! assert_eq!(h.to_string(), "u4pruydqqvj");
//! assert_eq!(h.parent().unwrap().to_string(), "u4pruydqqv");
//! assert!(h.bbox().contains(Point::new(57.64911, 10.40744)?));
//! assert_eq!(h.neighbor(Direction::N).unwrap().neighbor(Direction::S), Some(h));
//!
//! // "Drivers near a rider": index points, then ask for everything within 1 km.
//! let mut drivers = GeoIndex::new();
//! drivers.insert("ada", Point::new(48.8584, 2.2945)?);  // Eiffel Tower
//! drivers.insert("bob", Point::new(48.8606, 2.3376)?);  // Louvre, about 3.2 km away
//! let rider = Point::new(48.8600, 2.2930)?;
//! let near = drivers.within(rider, 1_000.0)?;
//! assert_eq!(near.len(), 1);
//! assert_eq!(*near[0].0, "ada");
//! assert!((haversine(rider, near[0].1) - near[0].2).abs() < 1e-9);
//! # Ok::<(), brick_geohash::Error>(())
//! ```
//!
//! # How it works
//! **Interleaving.** Latitude [-90, 90] and longitude [-180, 180] are each cut in half again and
//! again; every cut contributes one bit (0 = lower half, 1 = upper half). A geohash alternates the
//! bits, longitude first, and writes every 5 bits as one character of the alphabet
//! `0123456789bcdefghjkmnpqrstuvwxyz`. With 5·L bits a cell is 180°/2^⌊5L/2⌋ tall and
//! 360°/2^⌈5L/2⌉ wide. Here the cell index on each axis is computed in one step,
//! i = 2^(b-1) + ⌊(x / half_range)·2^(b-1)⌋, half_range 90 or 180 (exact in floating point: scaling by a power of two only
//! moves the exponent), and the two indices are interleaved with five shift-and-mask rounds
//! (Morton order): no loop over bits or characters. [`decode`] runs the other way without
//! de-interleaving: a table gives, for each character at each position, its bits already at
//! their places in both axes' indices, so the characters' entries are OR-ed together and the
//! cell's centre follows with one multiply and one add per axis.
//!
//! **Why prefixes mean proximity.** Dropping a character drops the last five cuts, so a prefix
//! is the larger cell containing the smaller: `u4pruyd` contains `u4pruydqqvj`. Sorting keys
//! sorts cells along the Z-order curve, and every cell is one contiguous range of keys — which
//! is how [`GeoIndex`] and Redis GEO answer radius queries with range scans.
//!
//! **Why neighbours are needed.** The converse fails at cell edges: two points a metre apart on
//! either side of the equator or the prime meridian share no prefix at all. A proximity query
//! therefore scans a block of cells around the point (the 9-cell block of [`GeoHash::neighbors`],
//! or the tighter set from [`cover`]), never just the point's own cell. Neighbours are found by
//! stepping the axis indices: east and west wrap at ±180°, and north of the top row (past the
//! pole) there is no cell, so [`GeoHash::neighbor`] returns `None`.
//!
//! **The trade-off.** Cells are rectangles in degrees, so they shrink in width toward the poles
//! and a circle is covered by rows × columns of cells: [`cover`] chooses the finest precision at
//! which the circle's bounding box needs at most 32 cells and drops cells wholly outside the
//! circle. The cells fetched cover 2.1 to 5.4 times the circle's area (3.07 at 100 m, 2.10 at
//! 1 km, 5.41 at 10 km in the compare report's `within` rows, `cells' area / circle's`): it
//! depends on how the circle falls on the grid of one precision. Longer codes fetch less but
//! cost more range scans.
//!
//! Cell sizes (at the equator; the width scales with cos latitude):
//!
//! | chars | bits (lat+lon) | height | width |
//! |---|---|---|---|
//! | 1 | 2+3 | 5 000 km | 5 000 km |
//! | 2 | 5+5 | 625 km | 1 250 km |
//! | 3 | 7+8 | 156 km | 156 km |
//! | 4 | 10+10 | 19.5 km | 39.1 km |
//! | 5 | 12+13 | 4.89 km | 4.89 km |
//! | 6 | 15+15 | 0.61 km | 1.22 km |
//! | 7 | 17+18 | 153 m | 153 m |
//! | 8 | 20+20 | 19.1 m | 38.2 m |
//! | 9 | 22+23 | 4.77 m | 4.77 m |
//! | 10 | 25+25 | 0.60 m | 1.19 m |
//! | 11 | 27+28 | 149 mm | 149 mm |
//! | 12 | 30+30 | 18.6 mm | 37.3 mm |
//!
//! # Complexity
//! | operation | time | space |
//! |---|---|---|
//! | [`encode`], [`GeoHash::neighbor`], `bbox`, `center`, `parent` | O(1) | 16 B value, no heap |
//! | `Display` / `FromStr`, [`decode`] | O(length): one table read per character | stack buffer (`decode`: a 24 KiB static table) |
//! | [`cover`] | O(cells) ≤ O(32) | the cells |
//! | [`GeoIndex::insert`] / `remove` | O(log n) | about 115 B per entry with `u32` keys (measured) |
//! | [`GeoIndex::within`] | O(c log n + m log m): c cells, m points in them | the hits |
//! | [`GeoIndex::nearest`] | a few `within` rounds | the hits |
//!
//! # Accuracy
//! Encoding is exact: the bits equal python-geohash's for every vector in `tests/data` (57 points
//! × 12 precisions, including poles, the antimeridian and cell edges), and the Redis module
//! matches Redis 7.0.15 on 278 scores, GEOHASH strings and GEOPOS texts, 51 GEODIST and 50
//! GEOSEARCH replies, and on 600 GEOSEARCH replies around ±180° against a live server (sorted
//! and unsorted: Redis misses members across the antimeridian, and so does the module). Distances use a sphere (haversine), which differs from the WGS 84
//! ellipsoid by up to about 0.5 %; [`cover`] and [`GeoIndex`] are exact with respect to that
//! sphere (property-tested against brute force, including near the poles and ±180°). Measured
//! speed against the `geohash` crate: see the crate README and `cargo run -p brick-benches -- geohash`.
//!
//! # When to use which
//! | need | use |
//! |---|---|
//! | a sortable key for a point, a prefix for "same area" | [`encode`] / [`GeoHash`] |
//! | the cells to query around a point, fixed size | [`GeoHash::neighbors`] with [`precision_for_radius`] |
//! | the cells covering an exact circle (any latitude, across ±180°) | [`cover`] |
//! | "within r metres" / "k nearest" over your own points in memory | [`GeoIndex`] |
//! | reading or producing what Redis GEO stores and prints | [`redis`] |
//!
//! **When a geohash is the wrong tool.** A geohash is a Z-order curve over latitude and
//! longitude rectangles: simple, a plain string key, and supported by every store that sorts
//! keys. Its cells are not equal in area and jump at the poles and at ±180°, and Z-order
//! neighbours can sit far apart on the curve. The alternatives:
//!
//! | scheme | cells | neighbours | strengths | choose it when |
//! |---|---|---|---|---|
//! | geohash (this crate) | lat/lon rectangles, 32 children per level | 8, by index arithmetic; none past a pole | a sortable text or integer key; prefix = containment; Redis GEO, Elasticsearch and most databases index it | the store only offers sorted keys or prefixes, the area is away from the poles, and a few range scans per query are fine |
//! | S2 (Google) | quadrilaterals on a cube projected onto the sphere, 4 children per level, on a Hilbert curve | 4 edge or 8 vertex neighbours, everywhere | cells of nearly equal area at every latitude, poles included; the Hilbert curve keeps neighbours closer on the key line, so region covers need fewer ranges | global data, polar regions, or covers of arbitrary polygons (Spanner, BigQuery GIS, MongoDB 2dsphere) |
//! | H3 (Uber) | hexagons (and 12 pentagons) on an icosahedron, 7 children per level, not exactly nested | 6, all at the same distance | uniform adjacency for flows, rings (`k`-rings) and smoothing; equal-ish areas | aggregating and comparing areas (demand heat maps, pricing zones), movement between cells; not prefix queries, since a hexagon's children do not tile it exactly |
//! | quadtree / R-tree (in memory or in the database) | split where the data is dense | by traversal | adapts to skewed data, exact radius and k-nearest queries without fixed cells | the points live in one process or one database with a spatial index (PostGIS GiST), and density varies by orders of magnitude |
//!
//! # Features
//! | feature | default | cost |
//! |---|---|---|
//! | *(none)* | — | no dependencies |
//! | `serde` | no | `serde`: a [`GeoHash`] serializes as its text and reads back through `FromStr` |
//!
//! # Limits
//! - Precision is 1 to 12 characters (60 bits); [`GeoIndex`] keys are 52-bit cells (Redis's
//!   resolution, about 0.6 m), and its covers use at most 10 characters.
//! - Latitude 90 lies in the top row of cells and longitude 180 encodes as -180 (the same
//!   meridian), as python-geohash and georust do; values outside [-90, 90] × [-180, 180], NaN
//!   and infinities are errors, never wrapped or clamped.
//! - The Redis module accepts latitude only within ±85.05112878 (Redis's Web-Mercator limit).

mod bits;
mod cover;
mod error;
mod hash;
mod index;
mod neighbors;
mod point;
pub mod redis;

pub use cover::{
    DEFAULT_MAX_CELLS, MAX_COVER_CELLS, cell_size_m, cover, cover_with, precision_for_radius,
};
pub use error::Error;
pub use hash::{ALPHABET, GeoHash, MAX_PRECISION, decode, encode};
pub use index::{GeoIndex, Hit};
pub use neighbors::{Direction, Neighbors};
pub use point::{
    BBox, EARTH_RADIUS_M, Point, REDIS_EARTH_RADIUS_M, haversine, haversine_with_radius,
};

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
