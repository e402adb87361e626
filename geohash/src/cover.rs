//! Covering a circle with geohash cells, and choosing a precision for a radius.

use crate::hash::{GeoHash, MAX_PRECISION, axis_bits};
use crate::point::{EARTH_RADIUS_M, haversine};
use crate::{Error, Point};

/// Default cap on the number of cells [`cover`] returns: enough to hug the circle (2.1–5.4 times
/// its area fetched, as measured in the compare report), few enough that an index does few
/// range scans.
pub const DEFAULT_MAX_CELLS: usize = 32;

/// Height and width in metres of a cell of `precision` characters at the equator (width shrinks
/// with cos(latitude)); `None` for a precision outside 1..=12.
///
/// Computes in **O(1)** time.
#[must_use]
pub fn cell_size_m(precision: u8) -> Option<(f64, f64)> {
    if precision == 0 || precision > MAX_PRECISION {
        return None;
    }
    let (lat_bits, lon_bits) = axis_bits(precision);
    let m_per_deg = EARTH_RADIUS_M.to_radians();
    Some((
        180.0 / (1u64 << lat_bits) as f64 * m_per_deg,
        360.0 / (1u64 << lon_bits) as f64 * m_per_deg,
    ))
}

/// The longest precision whose cells are at least `radius_m` tall and wide at the equator, so
/// the 9-cell block around a point's cell covers a circle of that radius there (1 for radii
/// larger than a 1-character cell, 12 for radii below about 2 cm). [`cover`] does not rely on
/// this: it computes its cells from the circle itself, which stays right near the poles.
///
/// Computes in **O(1)** time: at most 12 precisions are tried.
///
/// # Errors
/// - [`Error::InvalidRadius`] for a negative, NaN or infinite radius.
pub fn precision_for_radius(radius_m: f64) -> Result<u8, Error> {
    if !radius_m.is_finite() || radius_m < 0.0 {
        return Err(Error::InvalidRadius(radius_m));
    }
    Ok((1..=MAX_PRECISION)
        .rev()
        .find(|&p| cell_size_m(p).is_some_and(|(h, w)| h >= radius_m && w >= radius_m))
        .unwrap_or(1))
}

/// Cells that together cover every point within `radius_m` metres of `center` (great-circle
/// distance on a sphere of [`crate::EARTH_RADIUS_M`]): at most [`DEFAULT_MAX_CELLS`] cells of
/// one precision (12 at most), sorted, none of which lies wholly outside the circle.
///
/// Computes in **O(DEFAULT_MAX_CELLS)** time at most, as [`cover_with`].
///
/// # Errors
/// - [`Error::InvalidRadius`] for a negative, NaN or infinite radius.
pub fn cover(center: Point, radius_m: f64) -> Result<Vec<GeoHash>, Error> {
    cover_with(center, radius_m, MAX_PRECISION, DEFAULT_MAX_CELLS)
}

/// The largest cell budget [`cover_with`] honours: a larger `max_cells` is taken as this. A
/// cover is built in memory and tested cell by cell, so its size, not the caller's cap, bounds
/// the work (`usize::MAX` at 1,000 km and precision 12 ran past 15 s before this cap).
pub const MAX_COVER_CELLS: usize = 1 << 16;

/// [`cover`] with the finest precision and the cell budget chosen by the caller. The precision
/// is the finest (≤ `max_precision`) at which the circle's bounding box needs at most
/// `max_cells` cells (at most [`MAX_COVER_CELLS`]); a box that needs more even at precision 1
/// gets all its precision-1 cells (at most 32).
///
/// Computes in **O(min(max_cells, MAX_COVER_CELLS))** time: milliseconds for any input.
///
/// # Errors
/// - [`Error::InvalidRadius`] for a negative, NaN or infinite radius.
/// - [`Error::InvalidPrecision`] for `max_precision` 0 or over 12.
pub fn cover_with(
    center: Point,
    radius_m: f64,
    max_precision: u8,
    max_cells: usize,
) -> Result<Vec<GeoHash>, Error> {
    if !radius_m.is_finite() || radius_m < 0.0 {
        return Err(Error::InvalidRadius(radius_m));
    }
    if max_precision == 0 || max_precision > MAX_PRECISION {
        return Err(Error::InvalidPrecision(max_precision));
    }
    let max_cells = max_cells.min(MAX_COVER_CELLS);
    let span = Span::of_circle(center, radius_m);
    let precision = (1..=max_precision)
        .rev()
        .find(|&p| {
            let (rows, cols) = span.grid(p);
            (rows.1 - rows.0 + 1) * cols.1 <= max_cells as u64
        })
        .unwrap_or(1);
    let (lat_bits, lon_bits) = axis_bits(precision);
    let ((r0, r1), (c0, ncols)) = span.grid(precision);
    let lon_cells = 1u64 << lon_bits;
    // Keep a cell unless its nearest point is provably outside; the slack absorbs rounding.
    let limit = radius_m * (1.0 + 1e-9) + 1e-6;
    let mut cells = Vec::new();
    for r in r0..=r1 {
        for c in 0..ncols {
            let col = (c0 + c as i64).rem_euclid(lon_cells as i64) as u32;
            let cell = GeoHash::from_indices(r as u32, col, precision);
            if min_distance_m(center, cell) <= limit {
                cells.push(cell);
            }
        }
    }
    debug_assert!(lat_bits <= 30);
    cells.sort_unstable();
    Ok(cells)
}

/// The circle's bounding box in degrees: latitude rows and (possibly wrapping) longitudes.
struct Span {
    south: f64,
    north: f64,
    /// `None` when every longitude is inside (a pole is in the circle, or it is very large).
    west_east: Option<(f64, f64)>,
}

impl Span {
    fn of_circle(c: Point, radius_m: f64) -> Self {
        // Angular radius; a small outward pad keeps rounding from cutting the edge.
        let ang = radius_m / EARTH_RADIUS_M;
        let pad = 1e-9;
        let dlat = ang.to_degrees() + pad;
        let (south, north) = ((c.lat() - dlat).max(-90.0), (c.lat() + dlat).min(90.0));
        let pole_inside = c.lat() + dlat >= 90.0 || c.lat() - dlat <= -90.0;
        // Widest longitude of a spherical cap: sin Δλ = sin a / cos φ (valid while no pole is inside).
        let s = ang.sin() / c.lat().to_radians().cos();
        let west_east =
            if pole_inside || ang >= std::f64::consts::FRAC_PI_2 || !(0.0..1.0).contains(&s) {
                None
            } else {
                let dlon = s.asin().to_degrees() + pad;
                (dlon < 180.0).then(|| (c.lon() - dlon, c.lon() + dlon))
            };
        Span {
            south,
            north,
            west_east,
        }
    }

    /// ((first row, last row), (first column, column count)) at `precision`; the first column
    /// may be negative or past the end (it wraps).
    fn grid(&self, precision: u8) -> ((u64, u64), (i64, u64)) {
        let (lat_bits, lon_bits) = axis_bits(precision);
        let rows = (1u64 << lat_bits) as f64;
        let cols = 1u64 << lon_bits;
        let row = |lat: f64| {
            (((lat + 90.0) / 180.0 * rows).floor().max(0.0) as u64).min((1u64 << lat_bits) - 1)
        };
        let r = (row(self.south), row(self.north));
        let c = match self.west_east {
            None => (0, cols),
            Some((w, e)) => {
                let col = |lon: f64| ((lon + 180.0) / 360.0 * cols as f64).floor() as i64;
                let (c0, c1) = (col(w), col(e));
                (c0, ((c1 - c0 + 1) as u64).min(cols))
            }
        };
        (r, c)
    }
}

/// Distance in metres from `p` to the nearest point of `cell` (0 inside), or 0 when the cell is
/// more than 90° of longitude away (a safe lower bound; such cells only arise for huge circles).
pub(crate) fn min_distance_m(p: Point, cell: GeoHash) -> f64 {
    let b = cell.bbox();
    // Longitude offset from p to the cell's span, in (-180, 180].
    let wrap = |d: f64| (d + 180.0).rem_euclid(360.0) - 180.0;
    let to_west = wrap(b.west - p.lon());
    let to_east = wrap(b.east - p.lon());
    let inside_lon =
        to_west <= 0.0 && to_east >= 0.0 && (b.east - b.west) < 360.0 || (b.east - b.west) >= 360.0;
    if inside_lon {
        // Along the meridian: the nearest point is straight north or south.
        let dlat = if p.lat() < b.south {
            b.south - p.lat()
        } else if p.lat() > b.north {
            p.lat() - b.north
        } else {
            0.0
        };
        return EARTH_RADIUS_M * dlat.to_radians();
    }
    let (edge_lon, dlon) = if to_west.abs() <= to_east.abs() {
        (b.west, to_west.abs())
    } else {
        (b.east, to_east.abs())
    };
    if dlon >= 90.0 {
        return 0.0;
    }
    // The meridian's closest point to p has tan φ* = tan φ / cos Δλ; distance along the meridian
    // grows away from it, so clamping to the edge gives the nearest edge point.
    let phi = (p.lat().to_radians().tan() / dlon.to_radians().cos())
        .atan()
        .to_degrees();
    let lat = phi.clamp(b.south, b.north);
    haversine(p, Point::from_valid(lat, edge_lon.clamp(-180.0, 180.0)))
}
