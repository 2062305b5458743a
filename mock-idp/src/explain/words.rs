//! Times in the words a person reads: `1 h 2 min`, `2030-01-01T00:00:00Z`.

use crate::clock::civil_from_days;

/// A duration in seconds, to the two largest units (`3 d 4 h`, `5 min 6 s`, `7 s`).
pub(crate) fn duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")];
    if secs == 0 {
        return "0 s".into();
    }
    let mut rest = secs;
    let mut parts = Vec::new();
    for (size, name) in UNITS {
        if rest >= size && parts.len() < 2 {
            parts.push(format!("{} {name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            break;
        }
    }
    parts.join(" ")
}

/// Unix seconds as RFC 3339 UTC.
pub(crate) fn timestamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_two_largest_units() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(61), "1 min 1 s");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(3_725), "1 h 2 min");
        assert_eq!(duration(90_061), "1 d 1 h");
        assert_eq!(
            duration(86_401),
            "1 d",
            "a gap in the units ends the phrase"
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            timestamp(crate::clock::DETERMINISTIC_EPOCH),
            "2030-01-01T00:00:00Z"
        );
        assert_eq!(timestamp(951_825_599), "2000-02-29T11:59:59Z");
        assert_eq!(timestamp(-1), "1969-12-31T23:59:59Z");
    }
}
