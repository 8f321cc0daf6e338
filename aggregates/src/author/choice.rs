//! The weighted random choice of an author. Pure: the service supplies the random number, so
//! this crate needs no random source and a seeded one in the service makes a choice replayable.

/// One candidate's exact share of the choice: `weight / total`. The shares of one list sum
/// to exactly 1; the HTTP layer renders `weight as f64 / total as f64` as the probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub weight: u64,
    /// The sum of all the list's weights; 0 only when every weight is 0.
    pub total: u128,
}

/// The share of each of `weights` (in the same order), the distribution
/// [`pick_weighted`] draws from.
pub fn shares(weights: &[u64]) -> Vec<Share> {
    let total = total(weights);
    weights
        .iter()
        .map(|&weight| Share { weight, total })
        .collect()
}

/// The index chosen from `weights` by `draw`, a uniformly random `u64`: index `i` is chosen
/// with probability `weights[i] / Σ weights` (weight 0: never). `None` when the list is
/// empty or every weight is 0.
///
/// `draw` is scaled to `t = ⌊draw · total / 2⁶⁴⌋` in `[0, total)` (no modulo; each `t` gets
/// `⌊2⁶⁴/total⌋` or one more draw, a bias below `total / 2⁶⁴`), and the chosen index is the
/// first whose running sum of weights exceeds `t`. The same weights in the same order (the
/// candidate list, sorted the same way) and the same draw always choose the same index.
pub fn pick_weighted(weights: &[u64], draw: u64) -> Option<usize> {
    let total = total(weights);
    if total == 0 {
        return None;
    }
    let target = scale(draw, total);
    let mut running: u128 = 0;
    weights.iter().position(|&weight| {
        running += u128::from(weight);
        running > target
    })
}

/// The sum of `weights`; a `u128` cannot overflow for any slice that fits in memory.
fn total(weights: &[u64]) -> u128 {
    weights.iter().map(|&w| u128::from(w)).sum()
}

/// `⌊draw · total / 2⁶⁴⌋`, always below `total`; exact for a `total` over `u64::MAX`
/// too, by splitting it into its high and low 64 bits.
fn scale(draw: u64, total: u128) -> u128 {
    let draw = u128::from(draw);
    let high = total >> 64;
    let low = total & u128::from(u64::MAX);
    draw * high + ((draw * low) >> 64)
}
