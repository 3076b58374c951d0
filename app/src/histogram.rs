//! A latency histogram with fixed bounds: what the keeper core counts and the metrics
//! render (`metrics.rs`), kept apart so neither depends on the other for it.

/// A Prometheus histogram: counts per upper bound (not cumulative here; the
/// exposition accumulates), their sum and count.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    pub bounds: Vec<f64>,
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Default for Histogram {
    /// Seconds, from a local validator's 50 ms to a congested cluster's 30 s.
    fn default() -> Histogram {
        Histogram::with_bounds(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0])
    }
}

impl Histogram {
    pub fn with_bounds(bounds: &[f64]) -> Histogram {
        Histogram {
            bounds: bounds.to_vec(),
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, v: f64) {
        if let Some(i) = self.bounds.iter().position(|b| v <= *b) {
            self.counts[i] += 1;
        }
        self.sum += v;
        self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_lands_in_its_first_bucket_and_the_sum_counts_all() {
        let mut h = Histogram::with_bounds(&[0.1, 1.0]);
        h.observe(0.05);
        h.observe(0.1);
        h.observe(0.5);
        h.observe(7.0);
        assert_eq!(
            h.counts,
            vec![2, 1],
            "7.0 is above every bound: only in +Inf"
        );
        assert_eq!(h.count, 4);
        assert!((h.sum - 7.65).abs() < 1e-12);
    }
}
