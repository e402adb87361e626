//! Redis GEO compatibility: the 52-bit score, GEOPOS, GEOHASH, GEODIST and GEOSEARCH, bit for bit
//! and character for character as Redis 7 computes and prints them.
//!
//! Redis stores a GEO member in a sorted set whose score is a 52-bit cell: 26 bits per axis,
//! latitude over the Web-Mercator range [-85.05112878, 85.05112878] (not [-90, 90]), longitude
//! over [-180, 180], interleaved with longitude on the odd bit positions. Because its latitude
//! range differs, a Redis score is **not** the standard geohash of the point; GEOHASH therefore
//! decodes the score and re-encodes the cell centre on the standard ranges.
//!
//! Quirk kept for compatibility: a coordinate exactly at the top of its range (longitude 180,
//! latitude 85.05112878) gets offset 2^26, a 27th bit, so the score is ≥ 2^52. GEOPOS clamps
//! such a point back to the edge, and GEOHASH of longitude 180 prints the cell of -180.
//!
//! GEOSEARCH answers from the score ranges of at most nine cells, the centre's and its
//! neighbours, at a size Redis estimates from the radius; a member outside them is not found,
//! however close. Near the antimeridian that misses members on the other side: from longitude
//! 180 Redis's centre cell is past the end of the range and finds nothing there. [`GeoSet`]
//! reproduces those cells (and is checked against a live Redis around ±180); for geometrically
//! exact answers use [`crate::GeoIndex`].
//!
//! Points are (lat, lon) here as in the rest of the crate, the reverse of Redis's commands
//! (`GEOADD key lon lat member`, `FROMLONLAT lon lat`, GEOPOS's reply): swap when you read a
//! Redis command line or reply.

mod areas;

use crate::hash::{spread, squash};
use crate::point::REDIS_EARTH_RADIUS_M;
use crate::{Error, Point};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

/// Redis's latitude limit (Web Mercator).
pub const LAT_MAX: f64 = 85.051_128_78;
/// Redis's latitude floor.
pub const LAT_MIN: f64 = -85.051_128_78;
/// Bits per axis in a score.
pub const STEP: u32 = 26;

/// The score GEOADD stores for a point. Arguments are (lat, lon), as everywhere in this crate
/// (Redis's commands take them the other way round: `GEOADD key lon lat member`).
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::RedisOutOfRange`] (Redis's own text) for longitude outside [-180, 180], latitude
///   outside [-85.05112878, 85.05112878], or NaN.
#[must_use = "the score is the result"]
pub fn score(lat: f64, lon: f64) -> Result<u64, Error> {
    if !(-180.0..=180.0).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return Err(Error::RedisOutOfRange { lon, lat });
    }
    Ok(interleave_offsets(
        lon,
        lat,
        (-180.0, 180.0),
        (LAT_MIN, LAT_MAX),
    ))
}

/// Redis `geohashEncode`: offsets truncated to integers (a top-of-range input gives 2^26).
fn interleave_offsets(lon: f64, lat: f64, lon_range: (f64, f64), lat_range: (f64, f64)) -> u64 {
    let scale = (1u64 << STEP) as f64;
    let lat_off = (lat - lat_range.0) / (lat_range.1 - lat_range.0) * scale;
    let lon_off = (lon - lon_range.0) / (lon_range.1 - lon_range.0) * scale;
    // `as u32` truncates toward zero like C's double → uint32_t conversion for values in range.
    spread(lat_off as u32) | (spread(lon_off as u32) << 1)
}

/// The point GEOPOS returns for a score: the cell centre, clamped to Redis's ranges, as
/// (lat, lon) (GEOPOS prints lon first).
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::InvalidScore`] for a score of 2^54 or more (no input encodes to it).
pub fn position(score: u64) -> Result<(f64, f64), Error> {
    position_lon_lat(score).map(|(lon, lat)| (lat, lon))
}

/// [`position`] in Redis's order, (lon, lat), for this module's arithmetic.
fn position_lon_lat(score: u64) -> Result<(f64, f64), Error> {
    if score >> 54 != 0 {
        return Err(Error::InvalidScore(score));
    }
    let lat_i = squash(score);
    let lon_i = squash(score >> 1);
    let scale = (1u64 << STEP) as f64;
    let lat_span = LAT_MAX - LAT_MIN;
    let lat_lo = LAT_MIN + (f64::from(lat_i) / scale) * lat_span;
    let lat_hi = LAT_MIN + ((f64::from(lat_i) + 1.0) / scale) * lat_span;
    let lon_lo = -180.0 + (f64::from(lon_i) / scale) * 360.0;
    let lon_hi = -180.0 + ((f64::from(lon_i) + 1.0) / scale) * 360.0;
    let lon = ((lon_lo + lon_hi) / 2.0).clamp(-180.0, 180.0);
    let lat = ((lat_lo + lat_hi) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Ok((lon, lat))
}

/// The 11-character string GEOHASH prints for a score: the GEOPOS point re-encoded on the
/// standard ranges at 26 bits per axis, 10 characters, then `'0'` ("we have just 52 bits").
///
/// Computes in **O(1)** time.
///
/// # Errors
/// - [`Error::InvalidScore`] as [`position`].
pub fn geohash(score: u64) -> Result<String, Error> {
    let (lon, lat) = position_lon_lat(score)?;
    let bits = interleave_offsets(lon, lat, (-180.0, 180.0), (-90.0, 90.0));
    let mut s = String::with_capacity(11);
    for i in 0..10 {
        // Bits above 52 (the overflow quirk) are masked off, as Redis does.
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        s.push(char::from(crate::hash::ALPHABET[idx as usize]));
    }
    s.push('0');
    Ok(s)
}

/// Formats a coordinate as Redis replies it: 17 digits after the point, trailing zeros (and a
/// trailing point) removed.
///
/// Computes in **O(1)** time (one short string).
#[must_use]
pub fn format_coord(x: f64) -> String {
    let mut s = format!("{x:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" { "0".to_owned() } else { s }
}

/// Great-circle distance in metres between (lat1, lon1) and (lat2, lon2) as Redis computes it
/// (`geohashGetDistance`): haversine on a sphere of [`REDIS_EARTH_RADIUS_M`], with Redis's
/// shortcut for equal longitudes.
///
/// Computes in **O(1)** time.
#[must_use]
pub fn distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (lon1r, lon2r) = (lon1.to_radians_redis(), lon2.to_radians_redis());
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (lat1.to_radians_redis(), lat2.to_radians_redis());
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * REDIS_EARTH_RADIUS_M * a.sqrt().asin()
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    REDIS_EARTH_RADIUS_M * (lat2.to_radians_redis() - lat1.to_radians_redis()).abs()
}

/// Redis converts with `deg * (M_PI / 180.0)`, which can differ from `f64::to_radians` in the
/// last bit; GEODIST's fourth decimal can see it.
trait RedisRadians {
    fn to_radians_redis(self) -> f64;
}

impl RedisRadians for f64 {
    fn to_radians_redis(self) -> f64 {
        self * (std::f64::consts::PI / 180.0)
    }
}

/// A distance unit of GEODIST and GEOSEARCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Metres.
    M,
    /// Kilometres.
    Km,
    /// Miles (1609.34 m, Redis's figure).
    Mi,
    /// Feet (0.3048 m).
    Ft,
}

impl Unit {
    /// Metres per unit, as Redis defines them.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn metres(self) -> f64 {
        match self {
            Unit::M => 1.0,
            Unit::Km => 1000.0,
            Unit::Mi => 1609.34,
            Unit::Ft => 0.3048,
        }
    }
}

impl FromStr for Unit {
    type Err = Error;
    /// `m`, `km`, `mi` or `ft`, any case (Redis compares case-insensitively).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "m" => Ok(Unit::M),
            "km" => Ok(Unit::Km),
            "mi" => Ok(Unit::Mi),
            "ft" => Ok(Unit::Ft),
            _ => Err(Error::InvalidUnit(s.to_owned())),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::M => "m",
            Unit::Km => "km",
            Unit::Mi => "mi",
            Unit::Ft => "ft",
        })
    }
}

/// Formats a distance already converted to its unit as Redis prints it: 4 decimals, from the
/// value scaled by 10^4 and rounded half to even (`fixedpoint_d2string`).
///
/// Computes in **O(1)** time (one short string).
#[must_use]
pub fn format_distance(value: f64) -> String {
    let scaled = (value * 10_000.0).round_ties_even();
    let neg = scaled < 0.0;
    let v = scaled.abs() as u64;
    format!(
        "{}{}.{:04}",
        if neg { "-" } else { "" },
        v / 10_000,
        v % 10_000
    )
}

/// Where a GEOSEARCH starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Center {
    /// `FROMLONLAT lon lat`, given as (lat, lon) like every point in this crate.
    LatLon(f64, f64),
    /// `FROMMEMBER name`: the member's stored (cell-centre) position.
    Member(String),
}

/// The GEOSEARCH shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum By {
    /// `BYRADIUS radius unit`.
    Radius(f64, Unit),
    /// `BYBOX width height unit`.
    Box(f64, f64, Unit),
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Nearest first.
    Asc,
    /// Farthest first.
    Desc,
}

/// A GEOSEARCH query.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Centre.
    pub from: Center,
    /// Shape.
    pub by: By,
    /// Order; `None` is Redis's unsorted reply (the cells' scan order, each in score order),
    /// except that a `COUNT` sorts ascending.
    pub order: Option<Order>,
    /// `COUNT n` (without ANY): the first n after sorting.
    pub count: Option<usize>,
}

/// One GEOSEARCH reply entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Member name.
    pub member: String,
    /// Distance from the centre in the query's unit (print with [`format_distance`]).
    pub dist: f64,
    /// The member's score (`WITHHASH`).
    pub score: u64,
    /// The member's position as GEOPOS gives it (`WITHCOORD`), as (lat, lon).
    pub coord: (f64, f64),
}

/// An in-memory GEO key: what GEOADD builds, answering GEOPOS, GEOHASH, GEODIST and GEOSEARCH as
/// Redis does, including which members a GEOSEARCH misses (see the module docs). Like Redis's
/// sorted set it keeps the members ordered by (score, member), so a search reads only the cells'
/// ranges; for geometrically exact answers use [`crate::GeoIndex`].
#[derive(Debug, Clone, Default)]
pub struct GeoSet {
    members: HashMap<String, u64>,
    /// The same members in sorted-set order.
    by_score: BTreeSet<(u64, String)>,
}

impl GeoSet {
    /// An empty set.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// GEOADD: stores `member` at (lat, lon); returns whether it is new.
    ///
    /// Computes in **O(log n)** time (the sorted-set order is a B-tree).
    ///
    /// # Errors
    /// - [`Error::RedisOutOfRange`] as [`score`]; the set is unchanged.
    pub fn add(&mut self, member: &str, lat: f64, lon: f64) -> Result<bool, Error> {
        let s = score(lat, lon)?;
        let old = self.members.insert(member.to_owned(), s);
        if let Some(old) = old {
            self.by_score.remove(&(old, member.to_owned()));
        }
        self.by_score.insert((s, member.to_owned()));
        Ok(old.is_none())
    }

    /// Number of members.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set is empty.
    ///
    /// Computes in **O(1)** time.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// ZSCORE: the member's score.
    ///
    /// Computes in **O(1)** expected time.
    #[must_use]
    pub fn score(&self, member: &str) -> Option<u64> {
        self.members.get(member).copied()
    }

    /// GEOPOS: (lat, lon) of the member.
    ///
    /// Computes in **O(1)** expected time.
    #[must_use]
    pub fn pos(&self, member: &str) -> Option<(f64, f64)> {
        self.score(member).and_then(|s| position(s).ok())
    }

    fn pos_lon_lat(&self, member: &str) -> Option<(f64, f64)> {
        self.score(member).and_then(|s| position_lon_lat(s).ok())
    }

    /// GEOHASH: the member's 11-character string.
    ///
    /// Computes in **O(1)** expected time.
    #[must_use]
    pub fn hash(&self, member: &str) -> Option<String> {
        self.score(member).and_then(|s| geohash(s).ok())
    }

    /// GEODIST: distance between two members in `unit`; `None` if either is missing.
    ///
    /// Computes in **O(1)** expected time.
    #[must_use]
    pub fn dist(&self, a: &str, b: &str, unit: Unit) -> Option<f64> {
        let (lat1, lon1) = self.pos(a)?;
        let (lat2, lon2) = self.pos(b)?;
        Some(distance(lat1, lon1, lat2, lon2) / unit.metres())
    }

    /// GEOSEARCH: members inside the circle or box and in the cells Redis scans, with their
    /// distance, score and position, in Redis's order.
    ///
    /// Computes in **O(log n)** per cell for n members, plus the members in the cells.
    /// An unknown `FROMMEMBER` gives an empty reply (Redis answers an error; here nothing is found).
    ///
    /// # Errors
    /// - [`Error::RedisOutOfRange`] for a `FROMLONLAT` centre Redis would refuse.
    /// - [`Error::InvalidRadius`] for a negative or non-finite radius, width or height.
    pub fn search(&self, q: &Search) -> Result<Vec<Hit>, Error> {
        let (clon, clat) = match &q.from {
            Center::LatLon(lat, lon) => {
                score(*lat, *lon)?;
                (*lon, *lat)
            }
            Center::Member(m) => match self.pos_lon_lat(m) {
                Some(p) => p,
                None => return Ok(Vec::new()),
            },
        };
        for v in match q.by {
            By::Radius(r, _) => [r, 0.0],
            By::Box(w, h, _) => [w, h],
        } {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::InvalidRadius(v));
            }
        }
        // Redis scans the score ranges of the cells it picks, in its order, each in sorted-set
        // order (score, then member); a member outside those cells is not found.
        let mut hits: Vec<Hit> = Vec::new();
        for (min, max) in areas::search_ranges(clon, clat, q.by) {
            // Sorted-set scores are doubles: compare as Redis does. Below 2^54 a score moves by
            // at most 1 when made a double, so the members that compare at least `min` all lie
            // at or above `min - 4`.
            let (min_f, max_f) = (min as f64, max as f64);
            let start = (min.saturating_sub(4), String::new());
            for (s, member) in self
                .by_score
                .range(start..)
                .skip_while(|(s, _)| (*s as f64) < min_f)
                .take_while(|(s, _)| (*s as f64) < max_f)
            {
                let s = *s;
                let Ok((lon, lat)) = position_lon_lat(s) else {
                    continue;
                };
                let (inside, dist_m, unit) = match q.by {
                    By::Radius(r, unit) => {
                        let d = distance(clat, clon, lat, lon);
                        (d <= r * unit.metres(), d, unit)
                    }
                    By::Box(w, h, unit) => {
                        // geohashGetDistanceIfInRectangle: latitude first, then the east-west
                        // distance along the member's parallel.
                        let inside = lat_distance(lat, clat) <= h * unit.metres() / 2.0
                            && distance(lat, lon, lat, clon) <= w * unit.metres() / 2.0;
                        (inside, distance(clat, clon, lat, lon), unit)
                    }
                };
                if inside {
                    hits.push(Hit {
                        member: member.clone(),
                        dist: dist_m / unit.metres(),
                        score: s,
                        coord: (lat, lon),
                    });
                }
            }
        }
        // COUNT without an order sorts ascending, as Redis does.
        match q.order.or(q.count.map(|_| Order::Asc)) {
            Some(Order::Asc) => hits.sort_by(|a, b| {
                a.dist
                    .total_cmp(&b.dist)
                    .then_with(|| a.member.cmp(&b.member))
            }),
            Some(Order::Desc) => hits.sort_by(|a, b| {
                b.dist
                    .total_cmp(&a.dist)
                    .then_with(|| a.member.cmp(&b.member))
            }),
            // Unsorted: the scan order.
            None => {}
        }
        if let Some(n) = q.count {
            hits.truncate(n);
        }
        Ok(hits)
    }
}

/// A Redis position, (lat, lon), as a [`Point`] (always valid: Redis's ranges lie inside the
/// standard ones).
///
/// Computes in **O(1)** time.
#[must_use]
pub fn to_point(lat: f64, lon: f64) -> Point {
    Point::from_valid(lat, lon)
}
