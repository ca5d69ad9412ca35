//! When to renew a certificate and when to try again after a failure: a third of the lifetime
//! before the end (RFC 8555 leaves it to the client; Let's Encrypt recommends it), or a time inside
//! the CA's suggested window (ARI, RFC 9773); retries back off exponentially, with jitter so that
//! nodes and installations do not all call the CA at the same moment.

use std::time::Duration;

use time::OffsetDateTime;

/// When a certificate valid from `not_before` to `not_after` is due: a third of its lifetime before
/// the end.
pub fn renew_at(not_before: OffsetDateTime, not_after: OffsetDateTime) -> OffsetDateTime {
    not_after - (not_after - not_before) / 3
}

/// A time in the CA's suggested window, `fraction` (0 ≤ f < 1, random) of the way through; the
/// window's start when it is empty or reversed.
pub fn in_window(start: OffsetDateTime, end: OffsetDateTime, fraction: f64) -> OffsetDateTime {
    if end <= start {
        return start;
    }
    start + (end - start) * fraction.clamp(0.0, 1.0)
}

/// How long to wait after the `failures`-th failure in a row (1 = the first): `initial` doubled for
/// each earlier failure, at most `max`, scaled by 0.75–1.25 (`jitter` 0 ≤ j < 1, random) and never
/// beyond `max`.
pub fn retry_delay(failures: u32, initial: Duration, max: Duration, jitter: f64) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    let base = initial
        .checked_mul(1u32 << doublings)
        .unwrap_or(max)
        .min(max);
    base.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0)).min(max)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_ninety_day_certificate_renews_thirty_days_before_it_ends() {
        let from = datetime!(2026-01-01 0:00 UTC);
        let to = datetime!(2026-04-01 0:00 UTC);
        assert_eq!(renew_at(from, to), datetime!(2026-03-02 0:00 UTC));
        // A certificate of 30 seconds renews after 20.
        let to = from + time::Duration::seconds(30);
        assert_eq!(renew_at(from, to), from + time::Duration::seconds(20));
    }

    #[test]
    fn a_time_in_the_window() {
        let start = datetime!(2026-03-01 0:00 UTC);
        let end = datetime!(2026-03-03 0:00 UTC);
        assert_eq!(in_window(start, end, 0.0), start);
        assert_eq!(in_window(start, end, 0.5), datetime!(2026-03-02 0:00 UTC));
        assert_eq!(in_window(start, end, 7.0), end, "clamped");
        assert_eq!(
            in_window(end, start, 0.5),
            end,
            "a reversed window means its start"
        );
    }

    #[test]
    fn retries_double_up_to_the_ceiling_with_bounded_jitter() {
        let initial = Duration::from_secs(60);
        let max = Duration::from_secs(6 * 3600);
        assert_eq!(retry_delay(1, initial, max, 0.5), Duration::from_secs(60));
        assert_eq!(retry_delay(2, initial, max, 0.5), Duration::from_secs(120));
        assert_eq!(retry_delay(4, initial, max, 0.5), Duration::from_secs(480));
        assert_eq!(retry_delay(1, initial, max, 0.0), Duration::from_secs(45));
        assert_eq!(retry_delay(1, initial, max, 1.0), Duration::from_secs(75));
        // Far along, the ceiling holds whatever the jitter; no overflow for absurd counts.
        for failures in [10, 11, 31, 32, 33, 1000, u32::MAX] {
            for jitter in [0.0, 0.5, 0.999] {
                let d = retry_delay(failures, initial, max, jitter);
                assert!(
                    d <= max && d >= max.mul_f64(0.75),
                    "{failures} {jitter}: {d:?}"
                );
            }
        }
        // A failure count of 0 (never happens) behaves like the first.
        assert_eq!(retry_delay(0, initial, max, 0.5), Duration::from_secs(60));
    }
}
