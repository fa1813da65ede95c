//! Exact fixed-point numbers: money in fen, quantities and prices as scaled integers.
//!
//! Nothing here goes through `f64`. A value is an `i64` holding the decimal number times `10^scale`;
//! the scale is a property of the column (money 2, quantity 4, unit price 6).

use std::fmt;

/// Money in fen (1/100 yuan): every amount the engine computes from the columns (which hold
/// scaled `i64`s with [`NULL_I64`] for "none").
///
/// Arithmetic is checked in every build: an overflow panics with both operands, never wraps. A
/// rule that overflows is reported as failed (the run exits 6, naming it) instead of writing a
/// wrong amount; [`Fen::checked_add`] lets a caller name the row itself. There is no conversion to
/// `f64` but [`Fen::as_f64_yuan`], for statistics and display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// `self × num / den`, rounded half away from zero, exactly (through `i128`).
    pub fn mul_div(self, num: i64, den: i64) -> Fen {
        let v = div_round(i128::from(self.0) * i128::from(num), i128::from(den));
        Fen(i64::try_from(v).unwrap_or_else(|_| panic!("money overflow: {self:?} × {num} / {den}")))
    }

    /// `self × share` for a share that is a statistic (a ratio of floats, 0-1), taken to parts
    /// per million so that the money it applies to stays exact.
    pub fn mul_share(self, share: f64) -> Fen {
        self.mul_div((share * 1_000_000.0).round() as i64, 1_000_000)
    }

    /// Yuan as a float, for statistics (medians, z-scores) and display only.
    pub fn as_f64_yuan(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, other: Fen) -> Fen {
        self.checked_add(other)
            .unwrap_or_else(|| panic!("money overflow: {} + {} fen", self.0, other.0))
    }
}

impl std::ops::AddAssign for Fen {
    fn add_assign(&mut self, other: Fen) {
        *self = *self + other;
    }
}

impl std::ops::Sub for Fen {
    type Output = Fen;
    fn sub(self, other: Fen) -> Fen {
        Fen(self
            .0
            .checked_sub(other.0)
            .unwrap_or_else(|| panic!("money overflow: {} - {} fen", self.0, other.0)))
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Fen {
    /// As yuan with two places.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        yuan(self.0).fmt(f)
    }
}

/// Scale of money columns (`decimal(16,2)`).
pub const MONEY_SCALE: u32 = 2;
/// Scale of quantities, days of supply and per-day caps (`decimal(16,4)`).
pub const QTY_SCALE: u32 = 4;
/// Scale of unit prices and price caps (`decimal(16,6)`).
pub const PRICE_SCALE: u32 = 6;

/// Sentinel for "no value" in optional scaled-integer columns. Never a valid value: parsing rejects it.
pub const NULL_I64: i64 = i64::MIN;

/// Why a text could not be read as a decimal of the wanted scale.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("not a decimal number")]
    Syntax,
    #[error("more than {0} decimal places")]
    TooPrecise(u32),
    #[error("out of range")]
    Overflow,
    /// More digits than the contract's `decimal(16, scale)` holds.
    #[error("more than {DIGITS} digits (decimal({DIGITS},{0}))")]
    TooManyDigits(u32),
}

/// Total digits of every decimal column of the contract: `decimal(16, scale)`.
pub const DIGITS: u32 = 16;

/// Is `value` (scaled) within `decimal(16, scale)`, whatever its scale: fewer than 16 digits?
pub fn fits_decimal_16(value: i128) -> bool {
    value.unsigned_abs() < 10u128.pow(DIGITS)
}

/// `value` as an `i64` of `decimal(16, scale)`, or why not.
fn bounded(value: i128, scale: u32) -> Result<i64, DecimalError> {
    if !fits_decimal_16(value) {
        return Err(DecimalError::TooManyDigits(scale));
    }
    Ok(value as i64)
}

const POW10: [i128; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// `10^n` for `n <= 18`.
pub fn pow10(n: u32) -> i128 {
    POW10[n as usize]
}

/// Parses a plain decimal (`-12.5`, `+3`, `.50`, `7.`) into an integer scaled by `10^scale`.
///
/// Values of 16 digits or more (beyond the contract's `decimal(16, scale)`) are refused.
/// Surrounding ASCII whitespace is ignored. Digits beyond `scale` are accepted only when they are
/// zeros (`12.3400` at scale 2), since dropping non-zero digits would change the amount.
pub fn parse_decimal(text: &str, scale: u32) -> Result<i64, DecimalError> {
    let s = text.trim().as_bytes();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut int_part: i128 = 0;
    let mut frac_part: i128 = 0;
    let mut frac_digits = 0u32;
    let mut seen_digit = false;
    let mut seen_point = false;
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                seen_digit = true;
                let d = i128::from(b - b'0');
                if seen_point {
                    if frac_digits < scale {
                        frac_part = frac_part * 10 + d;
                        frac_digits += 1;
                    } else if d != 0 {
                        return Err(DecimalError::TooPrecise(scale));
                    }
                } else {
                    int_part = int_part * 10 + d;
                    if int_part > i128::from(i64::MAX) {
                        return Err(DecimalError::Overflow);
                    }
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return Err(DecimalError::Syntax),
        }
    }
    if !seen_digit {
        return Err(DecimalError::Syntax);
    }
    let value = int_part * pow10(scale) + frac_part * pow10(scale - frac_digits);
    let value = if neg { -value } else { value };
    bounded(value, scale)
}

/// Re-scales an exact decimal `value * 10^-from` to scale `to`, refusing to drop non-zero digits.
pub fn rescale(value: i128, from: u32, to: u32) -> Result<i64, DecimalError> {
    let scaled = if from == to {
        value
    } else if from < to {
        value
            .checked_mul(pow10(to - from))
            .ok_or(DecimalError::Overflow)?
    } else {
        let div = pow10(from - to);
        if value % div != 0 {
            return Err(DecimalError::TooPrecise(to));
        }
        value / div
    };
    bounded(scaled, to)
}

/// Divides with rounding half away from zero, as cashiers round.
pub fn div_round(num: i128, den: i128) -> i128 {
    debug_assert!(den > 0);
    let q = num / den;
    let r = num % den;
    if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    }
}

/// `quantity (scale 4) x unit_price (scale 6)` in fen, rounded half away from zero.
pub fn line_amount_fen(quantity: i64, unit_price: i64) -> i64 {
    let exact = i128::from(quantity) * i128::from(unit_price); // scale 10
    div_round(exact, pow10(QTY_SCALE + PRICE_SCALE - MONEY_SCALE)) as i64
}

/// A scaled integer shown as a decimal with exactly `scale` places (`-1234` at 2 → `-12.34`).
#[derive(Clone, Copy)]
pub struct Scaled(pub i64, pub u32);

impl fmt::Display for Scaled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Scaled(value, scale) = *self;
        let sign = if value < 0 { "-" } else { "" };
        let abs = i128::from(value).unsigned_abs();
        if scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let div = pow10(scale) as u128;
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / div,
            abs % div,
            width = scale as usize
        )
    }
}

/// Compares `a` with `b × ratio` exactly: `a` and `b` are integers (money, prices, or products
/// of them) and stay integers; `ratio` is a configured threshold (a share, a tolerance), taken to
/// six decimal places. This is how rules compare money with a proportion of money, never in `f64`.
pub fn cmp_times(a: i128, b: i128, ratio: f64) -> std::cmp::Ordering {
    let r = (ratio * 1e6).round() as i128;
    let overflow = || panic!("money overflow comparing {a} with {b} × {ratio}");
    let lhs = a.checked_mul(1_000_000).unwrap_or_else(overflow);
    let rhs = b.checked_mul(r).unwrap_or_else(overflow);
    lhs.cmp(&rhs)
}

/// Fen shown as yuan with two places (`12345` → `123.45`).
pub fn yuan(fen: i64) -> Scaled {
    Scaled(fen, MONEY_SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_decimal("12.34", 2), Ok(1234));
        assert_eq!(parse_decimal(" -0.5 ", 2), Ok(-50));
        assert_eq!(parse_decimal("+3", 4), Ok(30_000));
        assert_eq!(parse_decimal(".5", 2), Ok(50));
        assert_eq!(parse_decimal("7.", 2), Ok(700));
        assert_eq!(parse_decimal("12.3400", 2), Ok(1234));
        // 0.1 + 0.2 style inputs stay exact.
        assert_eq!(
            parse_decimal("0.1", 6).unwrap() + parse_decimal("0.2", 6).unwrap(),
            300_000
        );
    }

    #[test]
    fn refuses_what_it_cannot_keep_exactly() {
        assert_eq!(parse_decimal("12.345", 2), Err(DecimalError::TooPrecise(2)));
        assert_eq!(parse_decimal("1,000", 2), Err(DecimalError::Syntax));
        assert_eq!(parse_decimal("", 2), Err(DecimalError::Syntax));
        assert_eq!(parse_decimal("-", 2), Err(DecimalError::Syntax));
        assert_eq!(parse_decimal("1.2.3", 2), Err(DecimalError::Syntax));
        assert_eq!(parse_decimal("1e3", 2), Err(DecimalError::Syntax));
        assert_eq!(
            parse_decimal("99999999999999999999", 2),
            Err(DecimalError::Overflow)
        );
        // decimal(16,2): 14 digits before the point at most.
        assert_eq!(
            parse_decimal("99999999999999.99", 2),
            Ok(9_999_999_999_999_999)
        );
        assert_eq!(
            parse_decimal("100000000000000", 2),
            Err(DecimalError::TooManyDigits(2))
        );
        assert_eq!(
            parse_decimal("-100000000000000.00", 2),
            Err(DecimalError::TooManyDigits(2))
        );
        assert_eq!(
            rescale(10i128.pow(16), 2, 2),
            Err(DecimalError::TooManyDigits(2))
        );
    }

    #[test]
    fn money_arithmetic_is_checked() {
        assert_eq!(Fen(5) + Fen(7), Fen(12));
        assert_eq!([Fen(1), Fen(2), Fen(3)].into_iter().sum::<Fen>(), Fen(6));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(1000).mul_div(1, 3), Fen(333));
        assert_eq!(Fen(1234).to_string(), "12.34");
        let wrapped = std::panic::catch_unwind(|| Fen(i64::MAX) + Fen(1));
        assert!(wrapped.is_err(), "an overflow must not wrap");
        let summed = std::panic::catch_unwind(|| [Fen(i64::MAX), Fen(1)].into_iter().sum::<Fen>());
        assert!(summed.is_err());
    }

    #[test]
    fn compares_with_a_proportion_exactly() {
        use std::cmp::Ordering::*;
        // 0.1 + 0.2 is not 0.3 in f64; 30 against 100 × 0.3 is equal here.
        assert_eq!(cmp_times(30, 100, 0.1 + 0.2), Equal);
        assert_eq!(cmp_times(31, 100, 0.3), Greater);
        assert_eq!(cmp_times(1_150_000, 1_000_000, 1.15), Equal);
    }

    #[test]
    fn rescales_without_losing_digits() {
        assert_eq!(rescale(1234, 2, 4), Ok(123_400));
        assert_eq!(rescale(123_400, 4, 2), Ok(1234));
        assert_eq!(rescale(123_456, 4, 2), Err(DecimalError::TooPrecise(2)));
    }

    #[test]
    fn line_amount_rounds_half_away_from_zero() {
        // 3 x 12.345 = 37.035 -> 37.04
        assert_eq!(line_amount_fen(30_000, 12_345_000), 3704);
        assert_eq!(line_amount_fen(-30_000, 12_345_000), -3704);
        assert_eq!(line_amount_fen(10_000, 50_000_000), 5000);
    }

    #[test]
    fn displays_scaled() {
        assert_eq!(yuan(-1234).to_string(), "-12.34");
        assert_eq!(yuan(5).to_string(), "0.05");
        assert_eq!(Scaled(15_000, 4).to_string(), "1.5000");
        assert_eq!(Scaled(7, 0).to_string(), "7");
    }
}
