//! When an alert fires, repeats and resolves: one pure step from what is open for a rule, whether its
//! condition holds now, and the clock.
//!
//! A condition that starts to hold opens a *pending* alert; once it has held for `hold` the alert
//! *fires* (notified); while it keeps holding it is notified again at most every `repeat`; when the
//! condition clears a firing alert *resolves* (notified) and a pending one is dropped unnoticed.

use std::time::Duration;

use time::OffsetDateTime;

/// An alert that has not resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    Pending {
        since: OffsetDateTime,
    },
    Firing {
        since: OffsetDateTime,
        last_notified: OffsetDateTime,
    },
}

/// How long a condition must hold, and how often a firing alert is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub hold: Duration,
    pub repeat: Duration,
}

/// What to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing changes.
    Stay,
    /// Open a pending alert.
    Pend,
    /// The condition has held long enough (or needs no hold): the alert fires, notified.
    Fire,
    /// Still firing, and the last notice is `repeat` old: notify again.
    Repeat,
    /// The condition cleared while firing: resolved, notified.
    Resolve,
    /// The condition cleared before the alert fired: forget it.
    Drop,
}

impl Step {
    /// Whether this step sends notifications.
    pub fn notifies(self) -> bool {
        matches!(self, Step::Fire | Step::Repeat | Step::Resolve)
    }
}

/// The step for one rule.
pub fn step(open: Option<Open>, holds: bool, now: OffsetDateTime, policy: Policy) -> Step {
    let held = |since: OffsetDateTime| now - since >= policy.hold;
    match (open, holds) {
        (None, false) => Step::Stay,
        (None, true) if policy.hold.is_zero() => Step::Fire,
        (None, true) => Step::Pend,
        (Some(Open::Pending { since }), true) if held(since) => Step::Fire,
        (Some(Open::Pending { .. }), true) => Step::Stay,
        (Some(Open::Pending { .. }), false) => Step::Drop,
        (Some(Open::Firing { last_notified, .. }), true)
            if now - last_notified >= policy.repeat =>
        {
            Step::Repeat
        }
        (Some(Open::Firing { .. }), true) => Step::Stay,
        (Some(Open::Firing { .. }), false) => Step::Resolve,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const POLICY: Policy = Policy {
        hold: Duration::from_secs(120),
        repeat: Duration::from_secs(3600),
    };

    /// Runs a rule over a timeline of (minute, condition holds) with a fake clock, keeping the open
    /// alert as the store would, and returns the steps that did something.
    fn replay(timeline: &[(i64, bool)], policy: Policy) -> Vec<(i64, Step)> {
        let start = datetime!(2026-11-26 03:00 UTC);
        let mut open = None;
        let mut steps = Vec::new();
        for &(minute, holds) in timeline {
            let now = start + time::Duration::minutes(minute);
            let s = step(open, holds, now, policy);
            open = match (s, open) {
                (Step::Pend, _) => Some(Open::Pending { since: now }),
                (Step::Fire, Some(Open::Pending { since })) => Some(Open::Firing {
                    since,
                    last_notified: now,
                }),
                (Step::Fire, _) => Some(Open::Firing {
                    since: now,
                    last_notified: now,
                }),
                (Step::Repeat, Some(Open::Firing { since, .. })) => Some(Open::Firing {
                    since,
                    last_notified: now,
                }),
                (Step::Resolve | Step::Drop, _) => None,
                (_, o) => o,
            };
            if s != Step::Stay {
                steps.push((minute, s));
            }
        }
        steps
    }

    #[test]
    fn an_alert_fires_after_the_hold_and_resolves_when_the_condition_clears() {
        let timeline: Vec<_> = (0..10).map(|m| (m, (1..6).contains(&m))).collect();
        assert_eq!(
            replay(&timeline, POLICY),
            [(1, Step::Pend), (3, Step::Fire), (6, Step::Resolve)]
        );
    }

    #[test]
    fn a_blip_shorter_than_the_hold_is_never_notified() {
        let timeline = [(0, false), (1, true), (2, true), (3, false), (4, false)];
        assert_eq!(
            replay(&timeline, POLICY),
            [(1, Step::Pend), (3, Step::Drop)]
        );
    }

    #[test]
    fn a_firing_alert_repeats_no_more_often_than_the_interval() {
        let timeline: Vec<_> = (0..=150).map(|m| (m, true)).collect();
        assert_eq!(
            replay(&timeline, POLICY),
            [
                (0, Step::Pend),
                (2, Step::Fire),
                (62, Step::Repeat),
                (122, Step::Repeat)
            ]
        );
    }

    #[test]
    fn without_a_hold_the_first_breach_fires() {
        let policy = Policy {
            hold: Duration::ZERO,
            ..POLICY
        };
        let timeline = [(0, true), (1, true), (2, false), (3, true)];
        assert_eq!(
            replay(&timeline, policy),
            [(0, Step::Fire), (2, Step::Resolve), (3, Step::Fire)]
        );
    }

    #[test]
    fn only_fire_repeat_and_resolve_notify() {
        let notifying: Vec<_> = [
            Step::Stay,
            Step::Pend,
            Step::Fire,
            Step::Repeat,
            Step::Resolve,
            Step::Drop,
        ]
        .into_iter()
        .filter(|s| s.notifies())
        .collect();
        assert_eq!(notifying, [Step::Fire, Step::Repeat, Step::Resolve]);
    }
}
