//! What the simulator's two plots share: text escaped for SVG, and the axis (its range,
//! ticks and tick labels, and where a value falls along it). The engine run's plot is
//! `report::render_svg`; the sweep's, `sweep::render_sweep_svg`.

/// `s` safe in SVG text and attribute values.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short decimal label for an axis value: fewer decimals the larger it is, scientific
/// notation below 0.1.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 || a == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3e}")
    }
}

/// The smallest interval that holds every value seen.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub lo: f64,
    pub hi: f64,
}

impl Span {
    /// Nothing seen yet.
    pub const EMPTY: Span = Span {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
    };

    /// Widens the span to hold `v`.
    pub fn see(&mut self, v: f64) {
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
    }

    /// The span, or [0, 1] when it holds no finite value.
    pub fn or_unit(self) -> Span {
        if self.lo.is_finite() {
            self
        } else {
            Span { lo: 0.0, hi: 1.0 }
        }
    }

    /// The span, with `hi` moved to `lo + width` when it is not above `lo`.
    pub fn at_least(self, width: f64) -> Span {
        if self.hi <= self.lo {
            Span {
                lo: self.lo,
                hi: self.lo + width,
            }
        } else {
            self
        }
    }

    /// The span widened on each side by 5% of its width, at least 1% of `|hi|` and never
    /// by nothing, so that what is drawn at its ends stays off the plot's edges.
    pub fn padded(self) -> Span {
        let pad = ((self.hi - self.lo) * 0.05)
            .max(self.hi.abs() * 0.01)
            .max(1e-9);
        Span {
            lo: self.lo - pad,
            hi: self.hi + pad,
        }
    }
}

/// A linear axis: the range [`lo`, `hi`] it spans, its ticks and their labels, and where a
/// value falls along it. Either round (ticks at the multiples of `step`, the sweep's bars) or
/// even (`hi - lo` cut in equal intervals, the engine run's lines).
#[derive(Clone, Debug)]
pub struct Axis {
    pub lo: f64,
    pub hi: f64,
    /// Between two ticks.
    step: f64,
    /// A round axis's label decimals.
    decimals: usize,
    /// An even axis's intervals (labelled by [`tick_label`]); `None` on a round axis.
    intervals: Option<usize>,
}

impl Axis {
    /// A round axis over the finite `values` and zero: `step` 1, 2 or 5 times a power of
    /// ten, about five ticks, `lo` and `hi` on ticks; [0, 1] when there are no such values.
    pub fn new(values: impl Iterator<Item = f64>) -> Axis {
        let mut span = Span { lo: 0.0, hi: 0.0 };
        for v in values.filter(|v| v.is_finite()) {
            span.see(v.clamp(-1e9, 1e9));
        }
        let Span { lo, mut hi } = span;
        if hi - lo < 1e-9 {
            hi = lo + 1.0;
        }
        let raw = (hi - lo) / 5.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|k| k * mag)
            .find(|s| *s >= raw * (1.0 - 1e-12))
            .unwrap_or(10.0 * mag);
        let decimals = if step >= 1.0 {
            0
        } else {
            (-step.log10() - 1e-9).ceil().clamp(0.0, 9.0) as usize
        };
        Axis {
            lo: (lo / step).floor() * step,
            hi: ((hi / step).ceil() * step).max((lo / step).floor() * step + step),
            step,
            decimals,
            intervals: None,
        }
    }

    /// An even axis over `span` (to be wider than nothing): ticks at its ends and
    /// `intervals - 1` between, labelled by [`tick_label`].
    pub fn even(span: Span, intervals: usize) -> Axis {
        let intervals = intervals.max(1);
        Axis {
            lo: span.lo,
            hi: span.hi,
            step: (span.hi - span.lo) / intervals as f64,
            decimals: 0,
            intervals: Some(intervals),
        }
    }

    /// The ticks, from `lo` to `hi`.
    pub fn ticks(&self) -> Vec<f64> {
        match self.intervals {
            Some(n) => (0..=n)
                .map(|i| self.lo + (self.hi - self.lo) * i as f64 / n as f64)
                .collect(),
            None => {
                let n = ((self.hi - self.lo) / self.step).round() as usize;
                (0..=n).map(|i| self.lo + self.step * i as f64).collect()
            }
        }
    }

    /// The label of a tick at `v` (a round axis's never reads "-0").
    pub fn label(&self, v: f64) -> String {
        if self.intervals.is_some() {
            return tick_label(v);
        }
        let s = format!("{v:.*}", self.decimals);
        if s.starts_with('-') && s.trim_start_matches(['-', '0', '.']).is_empty() {
            s[1..].to_string()
        } else {
            s
        }
    }

    /// How far `v` is from `lo` towards `hi` (0 at `lo`, 1 at `hi`): a horizontal axis's
    /// share of the plot's width.
    pub fn x_frac(&self, v: f64) -> f64 {
        (v - self.lo) / (self.hi - self.lo)
    }

    /// How far `v` is from `hi` towards `lo` (0 at `hi`, 1 at `lo`): a vertical axis's share
    /// of the plot's height, SVG's y growing downwards.
    pub fn y_frac(&self, v: f64) -> f64 {
        (self.hi - v) / (self.hi - self.lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ticks_are_round() {
        let a = Axis::new([0.0, 7.3].into_iter());
        assert_eq!((a.lo, a.hi, a.step), (0.0, 8.0, 2.0));
        assert_eq!(a.ticks().len(), 5);
        let a = Axis::new([0.012, 0.04].into_iter());
        assert_eq!(a.decimals, 2);
        assert_eq!(a.label(0.0), "0.00");
        let a = Axis::new(std::iter::empty());
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
    }

    #[test]
    fn even_axis_over_a_padded_span() {
        let mut s = Span::EMPTY;
        assert_eq!(s.or_unit(), Span { lo: 0.0, hi: 1.0 });
        for v in [3.0, 1.0, 2.0] {
            s.see(v);
        }
        assert_eq!(s, Span { lo: 1.0, hi: 3.0 });
        assert_eq!(Span { lo: 5.0, hi: 5.0 }.at_least(1.0).hi, 6.0);
        let p = s.padded();
        assert!(
            (p.lo - 0.9).abs() < 1e-12 && (p.hi - 3.1).abs() < 1e-12,
            "{p:?}"
        );
        let a = Axis::even(Span { lo: 0.0, hi: 600.0 }, 5);
        assert_eq!(a.ticks(), [0.0, 120.0, 240.0, 360.0, 480.0, 600.0]);
        assert_eq!(a.label(240.0), "240.0");
        assert_eq!(a.label(0.05), "5.000e-2");
        assert_eq!((a.x_frac(150.0), a.y_frac(150.0)), (0.25, 0.75));
        assert_eq!(
            xml_escape(r#"a<b & "c">"#),
            "a&lt;b &amp; &quot;c&quot;&gt;"
        );
    }
}
