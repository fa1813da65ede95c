//! Formatting shared by evidence sentences.

use fundguard_model::{day_of, Date, Days, Fen, Seconds, Ts};

pub fn money(fen: Fen) -> String {
    fen.to_string()
}

/// A scale-4 quantity without trailing zeros (`20000` → `2`, `25000` → `2.5`).
pub fn qty(q: i64) -> String {
    let s = fundguard_model::Scaled(q, fundguard_model::QTY_SCALE).to_string();
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn day(d: Days) -> String {
    Date(d).to_string()
}

pub fn date_of(t: Seconds) -> String {
    Date(day_of(t)).to_string()
}

pub fn time(t: Seconds) -> String {
    Ts(t).to_string()
}

/// `HH:MM:SS` of a timestamp.
pub fn clock(t: Seconds) -> String {
    Ts(t).to_string()[11..].to_string()
}

/// Up to `n` items joined, with "…" when there were more.
pub fn list<T: AsRef<str>>(items: &[T], n: usize, sep: &str) -> String {
    let mut s: Vec<&str> = items.iter().take(n).map(AsRef::as_ref).collect();
    if items.len() > n {
        s.push("…");
    }
    s.join(sep)
}
