//! Which cells a GEOSEARCH scans, as Redis 7 chooses them (`geohashCalculateAreasByShapeWGS84`
//! in `geohash_helper.c`): the centre's cell at a step estimated from the radius, and its eight
//! neighbours, minus those Redis rules out. A member outside these cells is not found, however
//! close it is; that is how Redis misses members across the antimeridian.
//!
//! Every step follows Redis's arithmetic and order of operations, so the cells (and with them
//! the reply) are Redis's, edge cases included.

use super::{By, LAT_MAX, LAT_MIN};
use crate::bits::{spread, squash};
use crate::point::REDIS_EARTH_RADIUS_M;

/// Redis's `MERCATOR_MAX`, the distance its step estimate doubles the radius up to.
const MERCATOR_MAX: f64 = 20_037_726.37;
/// Redis's `D_R`.
const D_R: f64 = std::f64::consts::PI / 180.0;

/// A cell: `bits` holds `2 × step` interleaved bits (longitude on the odd positions), and may
/// hold one more, the overflow of a coordinate at the top of its range. Zero bits at step 0 is
/// Redis's "no cell".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cell {
    bits: u64,
    step: u8,
}

const NONE: Cell = Cell { bits: 0, step: 0 };

/// A cell's extent in degrees.
struct Area {
    lat_min: f64,
    lat_max: f64,
    lon_min: f64,
    lon_max: f64,
}

/// `geohashEncode` on Redis's ranges: offsets truncated to integers.
fn encode(lon: f64, lat: f64, step: u8) -> Cell {
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - LAT_MIN) / (LAT_MAX - LAT_MIN) * scale;
    let lon_offset = (lon + 180.0) / 360.0 * scale;
    Cell {
        bits: spread(lat_offset as u32) | (spread(lon_offset as u32) << 1),
        step,
    }
}

/// `geohashDecode`.
fn decode(cell: Cell) -> Area {
    let lat_i = f64::from(squash(cell.bits));
    let lon_i = f64::from(squash(cell.bits >> 1));
    let cells = (1u64 << cell.step) as f64;
    let (lat_scale, lon_scale) = (LAT_MAX - LAT_MIN, 360.0);
    Area {
        lat_min: LAT_MIN + (lat_i / cells) * lat_scale,
        lat_max: LAT_MIN + ((lat_i + 1.0) / cells) * lat_scale,
        lon_min: -180.0 + (lon_i / cells) * lon_scale,
        lon_max: -180.0 + ((lon_i + 1.0) / cells) * lon_scale,
    }
}

/// `geohash_move_x` (`lane` = odd bits, longitude) and `geohash_move_y` (even bits, latitude):
/// one cell along the lane, wrapping within `step` bits.
fn shift(cell: Cell, lane_mask: u64, d: i8) -> Cell {
    if d == 0 {
        return cell;
    }
    let other = cell.bits & !lane_mask;
    let mut lane = cell.bits & lane_mask;
    let width = 64 - 2 * u32::from(cell.step);
    // The other lane's low `step` bits, all ones: adding it and one carries through them.
    let filler = !lane_mask >> width;
    if d > 0 {
        lane = lane.wrapping_add(filler + 1);
    } else {
        lane = (lane | filler).wrapping_sub(filler + 1);
    }
    lane &= lane_mask >> width;
    Cell {
        bits: lane | other,
        step: cell.step,
    }
}

const LON_LANE: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const LAT_LANE: u64 = 0x5555_5555_5555_5555;

fn moved(cell: Cell, east: i8, north: i8) -> Cell {
    shift(shift(cell, LON_LANE, east), LAT_LANE, north)
}

/// `geohashEstimateStepsByRadius`.
fn estimate_step(mut range_m: f64, lat: f64) -> u8 {
    if range_m == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_m < MERCATOR_MAX {
        range_m *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The cells GEOSEARCH scans for a search centred at (lon, lat), as half-open score ranges
/// `[min, max)` in Redis's scan order (centre, N, S, E, W, NE, NW, SE, SW), without the cells
/// Redis drops and without a range equal to the one scanned just before it.
pub(super) fn search_ranges(lon: f64, lat: f64, by: By) -> Vec<(u64, u64)> {
    let (conversion, half_height, half_width, radius) = match by {
        By::Radius(r, unit) => (unit.metres(), r, r, r),
        By::Box(w, h, unit) => (
            unit.metres(),
            h / 2.0,
            w / 2.0,
            ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
        ),
    };
    // geohashBoundingBox.
    let (height, width) = (conversion * half_height, conversion * half_width);
    let lat_delta = (height / REDIS_EARTH_RADIUS_M) / D_R;
    let lon_delta_top = (width / REDIS_EARTH_RADIUS_M / ((lat + lat_delta) * D_R).cos()) / D_R;
    let lon_delta_bottom = (width / REDIS_EARTH_RADIUS_M / ((lat - lat_delta) * D_R).cos()) / D_R;
    let lon_delta = if lat < 0.0 {
        lon_delta_bottom
    } else {
        lon_delta_top
    };
    let (min_lon, max_lon) = (lon - lon_delta, lon + lon_delta);
    let (min_lat, max_lat) = (lat - lat_delta, lat + lat_delta);

    let mut step = estimate_step(radius * conversion, lat);
    let mut centre = encode(lon, lat, step);
    let decrease = decode(moved(centre, 0, 1)).lat_max < max_lat
        || decode(moved(centre, 0, -1)).lat_min > min_lat
        || decode(moved(centre, 1, 0)).lon_max < max_lon
        || decode(moved(centre, -1, 0)).lon_min > min_lon;
    if step > 1 && decrease {
        step -= 1;
        centre = encode(lon, lat, step);
    }
    let area = decode(centre);
    // Centre, N, S, E, W, NE, NW, SE, SW, as Redis lists them.
    let mut cells = [
        (0, 0),
        (0, 1),
        (0, -1),
        (1, 0),
        (-1, 0),
        (1, 1),
        (-1, 1),
        (1, -1),
        (-1, -1),
    ]
    .map(|(east, north)| moved(centre, east, north));
    if step >= 2 {
        let drop =
            |cells: &mut [Cell; 9], which: [usize; 3]| which.iter().for_each(|&i| cells[i] = NONE);
        if area.lat_min < min_lat {
            drop(&mut cells, [2, 7, 8]);
        }
        if area.lat_max > max_lat {
            drop(&mut cells, [1, 5, 6]);
        }
        if area.lon_min < min_lon {
            drop(&mut cells, [4, 8, 6]);
        }
        if area.lon_max > max_lon {
            drop(&mut cells, [3, 7, 5]);
        }
    }
    let mut ranges = Vec::with_capacity(9);
    // Redis remembers the index of the last cell scanned and skips a cell equal to it, but
    // its test reads index 0 as "none yet": a neighbour equal to the centre is scanned again.
    let mut last = 0;
    for (i, cell) in cells.iter().enumerate() {
        if *cell == NONE || (last != 0 && *cell == cells[last]) {
            continue;
        }
        let shift = 52 - 2 * u32::from(cell.step);
        ranges.push((cell.bits << shift, (cell.bits + 1) << shift));
        last = i;
    }
    ranges
}
