//! What every implementation in a comparison is: a [`Contender`] (its label, whether it is ours,
//! how it is built), plus the operations trait of its section (a filter's insert and query, a
//! cache's get and insert); and how contenders are timed: a [`Lane`] per contender, raced
//! operation by operation with [`race`], each round running every contender once in turn, so a
//! drift of the machine's speed during a run falls on all of them alike.

use crate::Ctx;

/// One implementation in a comparison, ours or a peer's.
pub trait Contender: Sized {
    /// What the section builds it from: items and a false-positive rate for a filter, ε and δ
    /// for a sketch, a capacity for a cache.
    type Spec: Copy;
    /// Label in the report.
    const NAME: &'static str;
    /// Ours or a peer.
    const OURS: bool;
    /// A fresh, empty instance for `spec`.
    fn build(spec: Self::Spec) -> Self;
}

/// One contender's timed operations, each a closure over the contender's own (statically typed)
/// state, so its code is inlined as in a real caller; only the call of a whole pass is dynamic.
pub struct Lane<'a> {
    /// The contender's label.
    pub name: &'static str,
    /// Ours or a peer.
    pub ours: bool,
    /// The operations, in the order they are raced.
    pub ops: Vec<Op<'a>>,
}

/// One timed operation of a lane: its name, how many of it one pass performs, and the pass.
pub type Op<'a> = (&'static str, u64, Box<dyn FnMut() + 'a>);

impl<'a> Lane<'a> {
    /// A lane for contender `C`, with no operations yet.
    pub fn of<C: Contender>() -> Self {
        Self {
            name: C::NAME,
            ours: C::OURS,
            ops: Vec::new(),
        }
    }

    /// Adds operation `name`: `pass` performs `per_pass` of them.
    pub fn op(mut self, name: &'static str, per_pass: u64, pass: impl FnMut() + 'a) -> Self {
        self.ops.push((name, per_pass, Box::new(pass)));
        self
    }
}

impl std::fmt::Debug for Lane<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ops: Vec<&str> = self.ops.iter().map(|(n, _, _)| *n).collect();
        f.debug_struct("Lane")
            .field("name", &self.name)
            .field("ops", &ops)
            .finish()
    }
}

/// Times every lane's operations, alternating between the lanes (one pass of each per round,
/// the mode's number of rounds), and returns ns per operation: `[lane][op]`, the median over
/// the rounds. Every lane must list the same operations in the same order; a lane's pass may
/// perform its own number of them.
pub fn race(ctx: &Ctx, lanes: &mut [Lane<'_>]) -> Vec<Vec<f64>> {
    let ops = lanes.first().map_or(0, |l| l.ops.len());
    assert!(
        lanes.iter().all(|l| l.ops.len() == ops
            && l.ops.iter().zip(&lanes[0].ops).all(|(a, b)| a.0 == b.0)),
        "every lane lists the same operations"
    );
    let mut ns = vec![Vec::with_capacity(ops); lanes.len()];
    for j in 0..ops {
        ctx.step(&format!(
            "{} (alternating {} contenders)",
            lanes[0].ops[j].0,
            lanes.len()
        ));
        let mut passes: Vec<(u64, &mut dyn FnMut())> = lanes
            .iter_mut()
            .map(|l| (l.ops[j].1, &mut *l.ops[j].2 as &mut dyn FnMut()))
            .collect();
        for (lane, t) in ns.iter_mut().zip(ctx.time_alternating_each(&mut passes)) {
            lane.push(t);
        }
    }
    ns
}
