//! The program's one checked-arithmetic vocabulary. Every failure is a typed
//! [`ZlError`] that records the file and line of the call site (through
//! `#[track_caller]`), so a refused transaction's log says where the sum
//! broke, as `require!` does for a failed check:
//!
//! ```text
//! AnchorError thrown in programs/zero-loss/src/controller/auction.rs:212.
//! Error Code: MathUnderflow. ...
//! ```
//!
//! - `a.safe_add(b)?`, `safe_sub`, `safe_mul`, `safe_div` on integers;
//! - `field.safe_add_assign(x)?` / `safe_sub_assign` for account fields (no
//!   raw `+=` / `-=` on an account field anywhere in the program);
//! - engine results (`MathError`, `LiqError`, `AuctionError`, `PriceError`)
//!   convert with a bare `?`, located the same way.

use core::panic::Location;

use anchor_lang::error::{Error, Source};
use anchor_lang::prelude::Result;

use crate::engine::auction::AuctionError;
use crate::engine::liquidation::LiqError;
use crate::engine::price::PriceError;
use crate::engine::MathError;
use crate::errors::ZlError;

/// `e` as an Anchor error that names the caller's file and line.
#[track_caller]
pub fn located(e: ZlError) -> Error {
    located_at(e, Location::caller())
}

fn located_at(e: ZlError, at: &'static Location<'static>) -> Error {
    Error::from(e).with_source(Source {
        filename: at.file(),
        line: at.line(),
    })
}

/// Checked integer arithmetic with located, typed errors.
pub trait SafeMath: Sized + Copy {
    fn safe_add(self, rhs: Self) -> Result<Self>;
    fn safe_sub(self, rhs: Self) -> Result<Self>;
    fn safe_mul(self, rhs: Self) -> Result<Self>;
    /// Integer division rounded down.
    fn safe_div(self, rhs: Self) -> Result<Self>;

    /// `*self += rhs`, refused (and `self` untouched) on overflow.
    #[track_caller]
    fn safe_add_assign(&mut self, rhs: Self) -> Result<()> {
        *self = self.safe_add(rhs)?;
        Ok(())
    }

    /// `*self -= rhs`, refused (and `self` untouched) below zero.
    #[track_caller]
    fn safe_sub_assign(&mut self, rhs: Self) -> Result<()> {
        *self = self.safe_sub(rhs)?;
        Ok(())
    }
}

macro_rules! safe_math {
    ($($t:ty),*) => {$(
        impl SafeMath for $t {
            #[track_caller]
            #[inline]
            fn safe_add(self, rhs: Self) -> Result<Self> {
                {
                    let at = Location::caller();
                    self.checked_add(rhs).ok_or_else(|| located_at(ZlError::MathOverflow, at))
                }
            }
            #[track_caller]
            #[inline]
            fn safe_sub(self, rhs: Self) -> Result<Self> {
                {
                    let at = Location::caller();
                    self.checked_sub(rhs).ok_or_else(|| located_at(ZlError::MathUnderflow, at))
                }
            }
            #[track_caller]
            #[inline]
            fn safe_mul(self, rhs: Self) -> Result<Self> {
                {
                    let at = Location::caller();
                    self.checked_mul(rhs).ok_or_else(|| located_at(ZlError::MathOverflow, at))
                }
            }
            #[track_caller]
            #[inline]
            fn safe_div(self, rhs: Self) -> Result<Self> {
                {
                    let at = Location::caller();
                    self.checked_div(rhs).ok_or_else(|| located_at(ZlError::DivisionByZero, at))
                }
            }
        }
    )*};
}

safe_math!(u8, u16, u32, u64, u128, i64);

/// Narrows to `u64`, refused with a located overflow.
#[track_caller]
pub fn to_u64(v: u128) -> Result<u64> {
    let at = Location::caller();
    u64::try_from(v).map_err(|_| located_at(ZlError::MathOverflow, at))
}

macro_rules! located_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            #[track_caller]
            fn from(e: $t) -> Error {
                located(ZlError::from(e))
            }
        }
    )*};
}

located_from!(MathError, LiqError, AuctionError, PriceError);

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::error::{AnchorError, ErrorOrigin};

    fn origin(e: Error) -> (u32, String, u32) {
        match e {
            Error::AnchorError(a) => {
                let AnchorError {
                    error_code_number,
                    error_origin,
                    ..
                } = *a;
                match error_origin {
                    Some(ErrorOrigin::Source(s)) => (error_code_number, s.filename.into(), s.line),
                    other => panic!("no source: {other:?}"),
                }
            }
            Error::ProgramError(p) => panic!("program error {p:?}"),
        }
    }

    fn engine_call() -> core::result::Result<u64, MathError> {
        Err(MathError::Underflow)
    }

    #[test]
    fn errors_name_the_call_site() {
        let line = line!() + 1;
        let e = u64::MAX.safe_add(1).unwrap_err();
        let (code, file, at) = origin(e);
        assert_eq!(code, u32::from(ZlError::MathOverflow));
        assert!(file.ends_with("math.rs"), "{file}");
        assert_eq!(at, line);

        let mut x = 3u64;
        let line = line!() + 1;
        let e = x.safe_sub_assign(4).unwrap_err();
        assert_eq!(x, 3, "a refused update leaves the field as it was");
        let (code, _, at) = origin(e);
        assert_eq!((code, at), (u32::from(ZlError::MathUnderflow), line));

        // `?` on an engine error records the line of the `?`.
        let line = line!() + 1;
        let r: Result<u64> = (|| Ok(engine_call()?))();
        let (code, _, at) = origin(r.unwrap_err());
        assert_eq!((code, at), (u32::from(ZlError::MathUnderflow), line));

        assert_eq!(
            origin(7u64.safe_div(0).unwrap_err()).0,
            u32::from(ZlError::DivisionByZero)
        );
        assert_eq!(5u64.safe_mul(3).unwrap(), 15);
        assert!(to_u64(u128::MAX).is_err());
    }
}
