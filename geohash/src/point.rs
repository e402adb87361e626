//! Points on the sphere and great-circle distance.

use crate::Error;

/// Mean Earth radius in metres (IUGG R1 = (2a + b) / 3), used by [`haversine`], [`crate::cover`]
/// and [`crate::GeoIndex`].
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// The sphere radius Redis GEO uses for every distance, in metres (`src/geohash_helper.c`).
pub const REDIS_EARTH_RADIUS_M: f64 = 6_372_797.560_856;

/// A validated latitude/longitude pair in degrees (WGS 84 coordinates on a spherical Earth).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    lat: f64,
    lon: f64,
}

impl Point {
    /// A point, if `lat` is in [-90, 90] and `lon` in [-180, 180] (both finite).
    ///
    /// Computes in **O(1)** time.
    ///
    /// # Errors
    /// - [`Error::InvalidLatitude`] / [`Error::InvalidLongitude`] for NaN, infinite or
    ///   out-of-range values: a wrapped or clamped coordinate would silently be another place.
    #[inline]
    pub fn new(lat: f64, lon: f64) -> Result<Self, Error> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(Error::InvalidLatitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(Error::InvalidLongitude(lon));
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    ///
    /// Computes in **O(1)** time.
    #[inline]
    #[must_use]
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Built from already-valid parts (internal: cell centres and clamped values).
    #[inline]
    pub(crate) fn from_valid(lat: f64, lon: f64) -> Self {
        debug_assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
        Self { lat, lon }
    }
}

/// Great-circle distance in metres on a sphere of [`EARTH_RADIUS_M`].
///
/// Computes in **O(1)** time.
#[must_use]
pub fn haversine(a: Point, b: Point) -> f64 {
    haversine_with_radius(a, b, EARTH_RADIUS_M)
}

/// Great-circle distance on a sphere of `radius` (the result is in `radius`'s unit).
///
/// hav(d/R) = hav(Δφ) + cos φ1 cos φ2 hav(Δλ), with hav(x) = sin²(x/2); the arcsine form stays
/// accurate for small distances, where the spherical law of cosines loses digits.
///
/// Computes in **O(1)** time.
#[must_use]
pub fn haversine_with_radius(a: Point, b: Point, radius: f64) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dphi = p2 - p1;
    let dlambda = (b.lon - a.lon).to_radians();
    let h = (dphi / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * radius * h.sqrt().min(1.0).asin()
}

/// A latitude/longitude box in degrees: south ≤ north, west ≤ east (geohash cells never cross
/// the antimeridian).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// Southern edge (minimum latitude).
    pub south: f64,
    /// Western edge (minimum longitude).
    pub west: f64,
    /// Northern edge (maximum latitude).
    pub north: f64,
    /// Eastern edge (maximum longitude).
    pub east: f64,
}

impl BBox {
    /// Whether the box contains the point (edges included).
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn contains(&self, p: Point) -> bool {
        (self.south..=self.north).contains(&p.lat()) && (self.west..=self.east).contains(&p.lon())
    }
}
