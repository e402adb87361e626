//! Load statistics: how evenly keys spread, and how many move on a change.

use std::collections::HashMap;
use std::hash::Hash;

/// How evenly a set of keys spread over nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadStats {
    /// Keys counted.
    pub keys: u64,
    /// Nodes that received at least one key or were listed.
    pub nodes: usize,
    /// Largest load divided by the mean (1 is perfect balance).
    pub max_over_mean: f64,
    /// Standard deviation of the loads divided by the mean.
    pub std_dev_over_mean: f64,
}

/// Load statistics of an assignment: `assign` maps each key to its node (`None`: unassigned,
/// not counted). `nodes` lists every node, so an idle node counts as load 0.
///
/// Computes in **O(keys + n)** expected time: one call of `assign` per key.
pub fn distribution<K, N: Hash + Eq + Clone>(
    keys: impl IntoIterator<Item = K>,
    nodes: impl IntoIterator<Item = N>,
    mut assign: impl FnMut(&K) -> Option<N>,
) -> LoadStats {
    let mut counts: HashMap<N, u64> = nodes.into_iter().map(|n| (n, 0)).collect();
    let mut total = 0u64;
    for k in keys {
        if let Some(n) = assign(&k) {
            *counts.entry(n).or_insert(0) += 1;
            total += 1;
        }
    }
    let n = counts.len().max(1) as f64;
    let mean = total as f64 / n;
    let max = counts.values().copied().max().unwrap_or(0) as f64;
    let var = counts
        .values()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    LoadStats {
        keys: total,
        nodes: counts.len(),
        max_over_mean: if mean > 0.0 { max / mean } else { 0.0 },
        std_dev_over_mean: if mean > 0.0 { var.sqrt() / mean } else { 0.0 },
    }
}

/// How many keys are assigned differently by `before` and `after` (a change of membership).
///
/// Computes in **O(keys)** time: one call of each assignment per key.
pub fn moved<K, N: PartialEq>(
    keys: impl IntoIterator<Item = K>,
    mut before: impl FnMut(&K) -> Option<N>,
    mut after: impl FnMut(&K) -> Option<N>,
) -> u64 {
    keys.into_iter().filter(|k| before(k) != after(k)).count() as u64
}
