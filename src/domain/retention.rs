//! Which backups to delete: keep every good backup younger than `keep_days`, the newest `keep_last`
//! good ones whatever their age, and the newest good one of each of the last `keep_weekly_weeks`
//! ISO weeks; never the newest good backup. Failed attempts (no file) go after `keep_days`.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The retention policy (see `[backup]` in config.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub keep_days: u32,
    pub keep_last: u32,
    pub keep_weekly_weeks: u32,
}

/// A backup as the policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backup {
    pub id: Uuid,
    pub taken_at: OffsetDateTime,
    /// Completed and written; a failed attempt has no file.
    pub good: bool,
}

/// The backups to delete at `now`.
pub fn expired(backups: &[Backup], policy: Policy, now: OffsetDateTime) -> Vec<Uuid> {
    let mut good: Vec<&Backup> = backups.iter().filter(|b| b.good).collect();
    good.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.id.cmp(&a.id)));
    let horizon = now - Duration::days(i64::from(policy.keep_days));
    let weekly_horizon = now - Duration::weeks(i64::from(policy.keep_weekly_weeks));
    let mut weeks_kept: Vec<(i32, u8)> = Vec::new();
    let mut keep: Vec<Uuid> = Vec::new();
    for (rank, b) in good.iter().enumerate() {
        let week = (b.taken_at.to_iso_week_date().0, b.taken_at.iso_week());
        let newest_of_week = !weeks_kept.contains(&week);
        if newest_of_week {
            weeks_kept.push(week);
        }
        let kept = rank == 0
            || rank < policy.keep_last as usize
            || b.taken_at >= horizon
            || (newest_of_week && b.taken_at >= weekly_horizon);
        if kept {
            keep.push(b.id);
        }
    }
    backups
        .iter()
        .filter(|b| {
            if b.good {
                !keep.contains(&b.id)
            } else {
                b.taken_at < horizon
            }
        })
        .map(|b| b.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn daily(days: i64, now: OffsetDateTime) -> Vec<Backup> {
        (0..days)
            .map(|d| Backup {
                id: Uuid::from_u128(d as u128 + 1),
                taken_at: now - Duration::days(d) - Duration::hours(1),
                good: true,
            })
            .collect()
    }

    const POLICY: Policy = Policy {
        keep_days: 30,
        keep_last: 7,
        keep_weekly_weeks: 8,
    };

    #[test]
    fn a_year_of_dailies_keeps_thirty_days_and_eight_weeklies() {
        let now = datetime!(2026-11-26 12:00 UTC);
        let backups = daily(365, now);
        let gone = expired(&backups, POLICY, now);
        let kept: Vec<&Backup> = backups.iter().filter(|b| !gone.contains(&b.id)).collect();
        // 30 days of dailies (day 0..29), plus the newest backup of each older week within 8 weeks.
        assert!(kept.iter().all(|b| b.taken_at >= now - Duration::weeks(8)));
        assert!(
            kept.iter()
                .filter(|b| b.taken_at >= now - Duration::days(30))
                .count()
                == 30
        );
        let older = kept
            .iter()
            .filter(|b| b.taken_at < now - Duration::days(30))
            .count();
        assert!(
            (3..=5).contains(&older),
            "one per week between 30 days and 8 weeks: {older}"
        );
    }

    #[test]
    fn the_newest_good_backup_and_the_last_n_are_never_deleted() {
        let now = datetime!(2026-11-26 12:00 UTC);
        // Ten good backups, all a year old: the newest seven stay (keep_last), weeks are too old.
        let old: Vec<Backup> = (0..10)
            .map(|d| Backup {
                id: Uuid::from_u128(d + 1),
                taken_at: now - Duration::days(365 + d as i64),
                good: true,
            })
            .collect();
        let gone = expired(&old, POLICY, now);
        assert_eq!(gone.len(), 3);
        assert!(!gone.contains(&Uuid::from_u128(1)));
        // With keep_last = 1, only the newest stays, however old.
        let gone = expired(
            &old,
            Policy {
                keep_last: 1,
                ..POLICY
            },
            now,
        );
        assert_eq!(gone.len(), 9);
        assert!(!gone.contains(&Uuid::from_u128(1)));
    }

    #[test]
    fn failed_attempts_go_after_the_horizon_and_never_count_as_newest() {
        let now = datetime!(2026-11-26 12:00 UTC);
        let backups = vec![
            Backup {
                id: Uuid::from_u128(1),
                taken_at: now - Duration::days(400),
                good: true,
            },
            Backup {
                id: Uuid::from_u128(2),
                taken_at: now - Duration::days(1),
                good: false,
            },
            Backup {
                id: Uuid::from_u128(3),
                taken_at: now - Duration::days(40),
                good: false,
            },
        ];
        let gone = expired(
            &backups,
            Policy {
                keep_last: 1,
                ..POLICY
            },
            now,
        );
        assert_eq!(
            gone,
            vec![Uuid::from_u128(3)],
            "the only good backup stays, however old"
        );
    }

    #[test]
    fn nothing_is_deleted_when_everything_is_young() {
        let now = datetime!(2026-11-26 12:00 UTC);
        assert!(expired(&daily(20, now), POLICY, now).is_empty());
        assert!(expired(&[], POLICY, now).is_empty());
    }
}
