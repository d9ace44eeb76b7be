//! Compile-time resource budgets whose failure prints the actual number.
//!
//! `const _: () = assert!(Net::ARENA_BYTES <= 64 * 1024);` fails with the expression only; a
//! const panic can format nothing but a `&str`, so [`le`] writes the numbers' decimal digits
//! into a byte array at compile time and panics with that text:
//!
//! ```text
//! error[E0080]: evaluation panicked: budget exceeded: Net::ARENA_BYTES = 46,336 > 1,024 (by 45,312)
//! ```
//!
//! Use it through [`assert_arena_le!`](crate::assert_arena_le) (a network's inference arena) or
//! [`assert_le!`](crate::assert_le) (any `usize` constant: `PARAMS`, `WEIGHT_BYTES`, `MACS`).

/// A message assembled at compile time.
struct Msg {
    buf: [u8; 256],
    len: usize,
}

impl Msg {
    const fn push(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() && self.len < self.buf.len() {
            self.buf[self.len] = b[i];
            self.len += 1;
            i += 1;
        }
    }
    /// `n` in decimal with thousands separators (`46,336`).
    const fn push_num(&mut self, n: usize) {
        let (digits, mut i) = grouped_digits(n);
        while i < digits.len() && self.len < self.buf.len() {
            self.buf[self.len] = digits[i];
            self.len += 1;
            i += 1;
        }
    }
    const fn as_str(&self) -> &str {
        let (text, _) = self.buf.split_at(self.len);
        match core::str::from_utf8(text) {
            Ok(s) => s,
            Err(_) => "budget exceeded",
        }
    }
}

/// `n`'s decimal digits with a `,` between groups of three, right-aligned in the array: the
/// text is `digits[start..]` (`(digits, start)` is returned). The one formatter behind
/// [`Thousands`] and the budget messages.
const fn grouped_digits(n: usize) -> ([u8; 27], usize) {
    // usize::MAX has 20 digits: 6 separators more
    let mut digits = [0u8; 27];
    let (mut i, mut n, mut group) = (digits.len(), n, 0);
    loop {
        if group == 3 {
            i -= 1;
            digits[i] = b',';
            group = 0;
        }
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        group += 1;
        if n == 0 {
            break;
        }
    }
    (digits, i)
}

/// Displays a number with thousands separators, as the summaries and budget messages print
/// it: `Thousands(1234567).to_string() == "1,234,567"` (width and alignment flags apply to the
/// whole text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thousands(pub usize);

impl core::fmt::Display for Thousands {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (digits, start) = grouped_digits(self.0);
        let text = core::str::from_utf8(&digits[start..]).map_err(|_| core::fmt::Error)?;
        f.pad(text)
    }
}

/// The text [`le`] panics with: `budget exceeded: {what} = {actual} > {limit} (by {excess})`.
/// Returns its length and bytes (for tests; `le` panics with it).
pub const fn message(what: &str, actual: usize, limit: usize) -> ([u8; 256], usize) {
    let mut m = Msg {
        buf: [0; 256],
        len: 0,
    };
    m.push("budget exceeded: ");
    m.push(what);
    m.push(" = ");
    m.push_num(actual);
    m.push(" > ");
    m.push_num(limit);
    m.push(" (by ");
    m.push_num(actual.saturating_sub(limit));
    m.push(")");
    (m.buf, m.len)
}

/// Checks `actual <= limit` in a const context; otherwise fails compilation with a message
/// holding `what` and both numbers in decimal.
pub const fn le(what: &str, actual: usize, limit: usize) {
    if actual > limit {
        let (buf, len) = message(what, actual, limit);
        let m = Msg { buf, len };
        panic!("{}", m.as_str());
    }
}

/// `assert_arena_le!(Net, 64 * 1024)`: the network's inference arena (`Net::ARENA_BYTES`, for a
/// `network!` struct or a hand-composed [`Network`](crate::Network)) fits the budget in bytes,
/// checked by `cargo check`; the error shows the actual size:
/// `budget exceeded: Net::ARENA_BYTES = 46,336 > 1,024 (by 45,312)`.
#[macro_export]
macro_rules! assert_arena_le {
    ($net:ty, $limit:expr $(,)?) => {
        const _: () = $crate::budget::le(
            ::core::concat!(::core::stringify!($net), "::ARENA_BYTES"),
            <$net>::ARENA_BYTES,
            $limit,
        );
    };
}

/// `assert_le!(Net::PARAMS, 100_000)`: a `usize` constant is at most a limit, checked by
/// `cargo check`; the error shows the expression and both numbers in decimal.
#[macro_export]
macro_rules! assert_le {
    ($actual:expr, $limit:expr $(,)?) => {
        const _: () = $crate::budget::le(::core::stringify!($actual), $actual, $limit);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(what: &str, actual: usize, limit: usize) -> std::string::String {
        let (buf, len) = message(what, actual, limit);
        std::string::String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn message_shows_both_numbers_in_decimal() {
        assert_eq!(
            text("Net::ARENA_BYTES", 46_336, 1024),
            "budget exceeded: Net::ARENA_BYTES = 46,336 > 1,024 (by 45,312)"
        );
        assert_eq!(text("x", 7, 0), "budget exceeded: x = 7 > 0 (by 7)");
        assert_eq!(
            text("x", usize::MAX, 999_999),
            "budget exceeded: x = 18,446,744,073,709,551,615 > 999,999 (by 18,446,744,073,708,551,616)"
        );
        le("within", 5, 5);
    }

    #[test]
    fn thousands_groups_by_three_and_pads_as_a_whole() {
        use std::format;
        assert_eq!(format!("{}", Thousands(0)), "0");
        assert_eq!(format!("{}", Thousands(999)), "999");
        assert_eq!(format!("{}", Thousands(1000)), "1,000");
        assert_eq!(format!("{}", Thousands(1_234_567)), "1,234,567");
        assert_eq!(
            format!("{}", Thousands(usize::MAX)),
            "18,446,744,073,709,551,615"
        );
        assert_eq!(format!("{:>8}", Thousands(12_345)), "  12,345");
        assert_eq!(format!("{:<7}|", Thousands(1000)), "1,000  |");
    }
}
