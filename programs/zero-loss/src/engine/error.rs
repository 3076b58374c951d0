//! Errors of the pure engine. The program maps each to a typed `ZlError`.

/// Arithmetic failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    Overflow,
    Underflow,
    DivisionByZero,
}

impl core::fmt::Display for MathError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            MathError::Overflow => "engine/overflow",
            MathError::Underflow => "engine/underflow",
            MathError::DivisionByZero => "engine/division-by-zero",
        };
        f.write_str(s)
    }
}
