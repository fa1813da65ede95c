//! ICD-10 (医保版 follows the WHO chapters) helpers.

/// The WHO chapter (1-22) of an ICD-10 code such as `J44.100`, or `None` when it is not one.
pub fn chapter(code: &str) -> Option<u8> {
    let b = code.as_bytes();
    if b.len() < 3 || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    let n = (b[1] - b'0') * 10 + (b[2] - b'0');
    Some(match b[0].to_ascii_uppercase() {
        b'A' | b'B' => 1,
        b'C' => 2,
        b'D' if n <= 48 => 2,
        b'D' => 3,
        b'E' => 4,
        b'F' => 5,
        b'G' => 6,
        b'H' if n <= 59 => 7,
        b'H' => 8,
        b'I' => 9,
        b'J' => 10,
        b'K' => 11,
        b'L' => 12,
        b'M' => 13,
        b'N' => 14,
        b'O' => 15,
        b'P' => 16,
        b'Q' => 17,
        b'R' => 18,
        b'S' | b'T' => 19,
        b'V' | b'W' | b'X' | b'Y' => 20,
        b'Z' => 21,
        b'U' => 22,
        _ => return None,
    })
}

/// The 3-character category (`I63.900` → `I63`).
pub fn category(code: &str) -> &str {
    code.get(..3).unwrap_or(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_follow_the_who_ranges() {
        assert_eq!(chapter("J44.100"), Some(10));
        assert_eq!(chapter("D48.9"), Some(2));
        assert_eq!(chapter("D50.0"), Some(3));
        assert_eq!(chapter("H60.1"), Some(8));
        assert_eq!(chapter("T14"), Some(19));
        assert_eq!(chapter("Z51.100"), Some(21));
        assert_eq!(chapter("9"), None);
        assert_eq!(chapter("1234"), None);
        assert_eq!(category("I63.900"), "I63");
    }
}
