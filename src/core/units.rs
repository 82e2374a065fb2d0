//! Quantities as people type them on a command line (durations: `800ms`, `2s`, `1m`, `24h`)
//! and as messages say them (`1 packet`, `2 packets`).

/// Parse a duration: `800ms`, `2s`, `1.5s`, `1m`, `24h`, or a number of seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("'{s}' is not a duration (like 800ms or 2s)"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown unit '{other}' in '{s}' (ms, s, m or h)")),
    };
    std::time::Duration::try_from_secs_f64(secs).map_err(|e| format!("'{s}': {e}"))
}

/// `n` things in words: "1 packet", "2 packets" (`what` is the singular, made plural with s).
pub fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// "was" for one, "were" for any other number: `format!("{} {} dropped", count(n, "packet"), was(n))`.
pub fn was(n: u64) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("800ms"), Ok(Duration::from_millis(800)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn one_is_singular_in_messages() {
        assert_eq!(count(1, "byte"), "1 byte");
        assert_eq!(count(0, "byte"), "0 bytes");
        assert_eq!(format!("{} {}", count(2, "packet"), was(2)), "2 packets were");
        let short = crate::core::stun::HeaderError::TooShort { len: 1 };
        assert_eq!(short.to_string(), "1 byte is shorter than the 20-byte STUN header");
    }
}
