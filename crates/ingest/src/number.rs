//! How counts and ranks are written, decided once for every reader: a number
//! that one layout takes is taken by all, and one that one rejects is rejected
//! by all, with its line and value.

use crate::error::{Reject, RejectKind};

/// The highest rank a chart may hold; none comes near it, and a bound keeps a
/// mistyped rank from costing memory.
pub const MAX_RANK: i32 = 100_000;

/// The accepted forms, in words, for messages (and the README's ingest section).
pub const FORMS: &str = "digits, optionally with `,` between groups of three (`1,234,567`) and a \
                         fraction of zeros (`1234.0`)";

/// A whole non-negative number as chart exports write it, surrounding blanks
/// trimmed: ASCII digits (`1234567`), optionally with `,` thousands separators
/// between groups of exactly three digits (`1,234,567`, as spreadsheets save
/// them), optionally followed by a fraction of zeros only (`1234.0`, as pandas
/// and spreadsheets write whole numbers held as floats). Anything else is
/// `None`: a sign, another fraction (`12.5`), an exponent, a space or other
/// separator inside, or a value above `i64::MAX`.
pub fn whole(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let digits = match raw.split_once('.') {
        Some((digits, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => digits,
        Some(_) => return None,
        None => raw,
    };
    let mut groups = digits.split(',');
    let first = groups.next()?;
    let grouped = digits.contains(',');
    let first_ok = !first.is_empty()
        && first.bytes().all(|b| b.is_ascii_digit())
        && (!grouped || (first.len() <= 3 && !(first.len() > 1 && first.starts_with('0'))));
    if !first_ok {
        return None;
    }
    let mut value: i64 = 0;
    for b in first.bytes() {
        value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        for b in group.bytes() {
            value = value.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
        }
    }
    Some(value)
}

/// A stream, view or other count: a [`whole`] number; an empty field is a
/// missing count (`None`). `what` names the count in the rejection.
pub fn count(raw: &str, line: u64, what: &str) -> Result<Option<i64>, Reject> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    whole(raw).map(Some).ok_or_else(|| {
        Reject::at(
            RejectKind::Count,
            line,
            format!("{what} `{raw}` is not a whole non-negative number ({FORMS})"),
        )
    })
}

/// A chart position: a [`whole`] number from 1 to [`MAX_RANK`].
pub fn rank(raw: &str, line: u64) -> Result<i32, Reject> {
    whole(raw)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|r| (1..=MAX_RANK).contains(r))
        .ok_or_else(|| {
            Reject::at(
                RejectKind::Rank,
                line,
                format!("rank `{raw}` is not a whole number from 1 to {MAX_RANK} ({FORMS})"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        assert_eq!(whole("1234"), Some(1234));
        assert_eq!(whole(" 1234 "), Some(1234));
        assert_eq!(whole("0"), Some(0));
        assert_eq!(whole("007"), Some(7));
        assert_eq!(whole("253019.0"), Some(253_019));
        assert_eq!(whole("253019.000"), Some(253_019));
        assert_eq!(whole("1,234,567"), Some(1_234_567));
        assert_eq!(whole("12,345"), Some(12_345));
        assert_eq!(whole("1,234.0"), Some(1234));
        assert_eq!(whole("9223372036854775807"), Some(i64::MAX));
    }

    #[test]
    fn rejected_forms() {
        for raw in [
            "",
            "12.5",
            "1234.",
            ".0",
            "-3",
            "+3",
            "1e6",
            "1 234",
            "1.234.567",
            "1,23",
            "1,2345",
            ",123",
            "123,",
            "1234,567",
            "01,234",
            "1,,234",
            "12k",
            "lots",
            "9223372036854775808",
            "١٢",
        ] {
            assert_eq!(whole(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn counts_and_ranks_name_line_and_value() {
        assert_eq!(count("", 4, "stream count"), Ok(None));
        assert_eq!(count("1,234,567", 4, "stream count"), Ok(Some(1_234_567)));
        let bad = count("1234.5", 4, "stream count").unwrap_err();
        assert_eq!((bad.kind, bad.line), (RejectKind::Count, Some(4)));
        assert!(bad.message.contains("`1234.5`"), "{}", bad.message);
        assert_eq!(rank("3.0", 2), Ok(3));
        assert_eq!(rank("1,000", 2), Ok(1000));
        for raw in ["0", "", "100001", "2,147,483,648", "+1", "1.5"] {
            let bad = rank(raw, 9).unwrap_err();
            assert_eq!((bad.kind, bad.line), (RejectKind::Rank, Some(9)), "{raw}");
        }
    }
}
