//! Robust statistics shared by peer comparisons.

/// Median and median absolute deviation of `values` (not empty).
pub fn median_mad(values: &[f64]) -> (f64, f64) {
    let median = median(values);
    let dev: Vec<f64> = values.iter().map(|v| (v - median).abs()).collect();
    (median, self::median(&dev))
}

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Robust z-score: distance from the median in units of 1.4826 x MAD (the normal-consistent
/// scale), with the scale floored at `min_scale` so that identical peers do not make every
/// difference infinite.
pub fn robust_z(value: f64, median: f64, mad: f64, min_scale: f64) -> f64 {
    (value - median) / (1.4826 * mad).max(min_scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad() {
        assert_eq!(median_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]), (3.0, 1.0));
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert!((robust_z(10.0, 3.0, 1.0, 0.0) - 7.0 / 1.4826).abs() < 1e-12);
        assert_eq!(robust_z(3.5, 3.0, 0.0, 0.5), 1.0);
    }
}
