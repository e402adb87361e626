//! One measurement, as written to `results.json`.

use serde::{Deserialize, Serialize};

/// One measurement: a time, a size or an accuracy figure of one implementation doing one
/// operation. Ours and the peers it is compared with share `brick`, `operation` and `params`,
/// which is how the report pairs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Brick folder name, e.g. `geohash`.
    pub brick: String,
    /// The structure measured, e.g. `BloomFilter` or the peer's type name.
    pub structure: String,
    /// Who implemented it: `brick-geohash` for ours, the crate name for a peer.
    pub implementation: String,
    /// Whether this is one of ours.
    pub ours: bool,
    /// The operation, the same string for ours and the peers, e.g. `encode`.
    pub operation: String,
    /// Median nanoseconds per operation, when timed.
    pub ns_per_op: Option<f64>,
    /// Bytes the structure holds (heap plus its inline size), when measured.
    pub bytes: Option<u64>,
    /// Name of an accuracy or quality metric, e.g. `false_positive_rate`.
    pub metric: Option<String>,
    /// The metric's measured value.
    pub value: Option<f64>,
    /// The theoretical bound or target the value is shown next to.
    pub bound: Option<f64>,
    /// Which way the bound goes, when the value is meant to meet it.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Whether the value meets its bound in its direction (`None`: no direction or no value).
    #[serde(default)]
    pub pass: Option<bool>,
    /// Parameters that define the comparison, e.g. `n=1000000 precision=9`.
    pub params: String,
}

impl Record {
    /// A record with only its identity set; fill in the rest with the `with_*` methods.
    pub fn new(
        brick: &str,
        structure: &str,
        implementation: &str,
        ours: bool,
        operation: &str,
        params: impl Into<String>,
    ) -> Self {
        Self {
            brick: brick.to_owned(),
            structure: structure.to_owned(),
            implementation: implementation.to_owned(),
            ours,
            operation: operation.to_owned(),
            ns_per_op: None,
            bytes: None,
            metric: None,
            value: None,
            bound: None,
            direction: None,
            pass: None,
            params: params.into(),
        }
    }

    /// A row for one of the targets on our `name`: operation `target <what>`, to be
    /// completed by [`with_metric`](Self::with_metric) (the measured ratio and its bound).
    pub fn target(brick: &str, name: &str, what: &str, params: impl Into<String>) -> Self {
        Self::new(brick, name, name, true, &format!("target {what}"), params)
    }

    /// Sets the median time per operation.
    pub fn with_ns(mut self, ns_per_op: f64) -> Self {
        self.ns_per_op = Some(ns_per_op);
        self
    }

    /// Sets the bytes held.
    pub fn with_bytes(mut self, bytes: u64) -> Self {
        self.bytes = Some(bytes);
        self
    }

    /// Sets the bytes held when they were measured (`None` leaves the field empty).
    pub fn with_bytes_opt(self, bytes: Option<u64>) -> Self {
        match bytes {
            Some(b) => self.with_bytes(b),
            None => self,
        }
    }

    /// Sets an accuracy metric, its measured value and its bound (if it has one).
    pub fn with_metric(mut self, metric: &str, value: f64, bound: Option<f64>) -> Self {
        self.metric = Some(metric.to_owned());
        self.value = Some(value);
        self.bound = bound;
        self
    }

    /// The value must be at most the bound (an error rate, a time ratio).
    pub fn at_most(self) -> Self {
        self.meets(Direction::AtMost)
    }

    /// The value must be at least the bound (a recall, a speed ratio).
    pub fn at_least(self) -> Self {
        self.meets(Direction::AtLeast)
    }

    /// The value must equal the bound (a reference implementation's count).
    pub fn equals(self) -> Self {
        self.meets(Direction::Equals)
    }

    fn meets(mut self, direction: Direction) -> Self {
        self.direction = Some(direction);
        self.pass = match (self.value, self.bound) {
            (Some(v), Some(b)) => Some(direction.holds(v, b)),
            _ => None,
        };
        self
    }

    /// The key under which ours and the peers are compared.
    pub fn comparison_key(&self) -> (&str, &str, &str) {
        (&self.brick, &self.operation, &self.params)
    }
}

/// Which way a record's bound goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// value ≤ bound.
    AtMost,
    /// value ≥ bound.
    AtLeast,
    /// value = bound (to a relative 10^-9, for values computed in floating point).
    Equals,
}

impl Direction {
    /// Whether `value` meets `bound` this way.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Direction::AtMost => value <= bound,
            Direction::AtLeast => value >= bound,
            Direction::Equals => (value - bound).abs() <= 1e-9 * bound.abs().max(1e-300),
        }
    }

    /// The sign the report shows before the bound.
    pub fn sign(self) -> &'static str {
        match self {
            Direction::AtMost => "≤",
            Direction::AtLeast => "≥",
            Direction::Equals => "=",
        }
    }
}

/// For each record, its time divided by the best (lowest) peer time for the same
/// brick, operation and params: `None` where either side was not timed.
pub fn ratios_to_best_peer(records: &[Record]) -> Vec<Option<f64>> {
    records
        .iter()
        .map(|r| {
            let ns = r.ns_per_op?;
            let best = records
                .iter()
                .filter(|p| !p.ours && p.comparison_key() == r.comparison_key())
                .filter_map(|p| p.ns_per_op)
                .filter(|ns| *ns > 0.0)
                .min_by(f64::total_cmp)?;
            Some(ns / best)
        })
        .collect()
}
