//! How much work one computation may do: a deadline, a count of search steps, and a flag its caller
//! sets when nobody waits for the answer any more. Searches spend it as they go and stop, keeping the
//! best answer found so far, when it runs out.

use std::{
    cell::Cell,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

/// Why a budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// The time allowed has passed.
    Time,
    /// The search took its allowed number of steps.
    Steps,
    /// The caller stopped waiting (the client left).
    Cancelled,
}

/// The work left to one computation. Not shared between threads: each solve owns its own, and only
/// the cancel flag crosses over.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    steps_left: Cell<u64>,
    cancelled: Arc<AtomicBool>,
    exhausted: Cell<Option<Exhausted>>,
}

/// Steps between two looks at the clock and the cancel flag: a step is a few decimal operations, so
/// this keeps both checks below a percent of the work while reacting within microseconds.
const CHECK_EVERY: u64 = 256;

impl Budget {
    /// `time` from now, at most `steps` search steps, stopped early when `cancelled` is set.
    pub fn new(time: Duration, steps: u64, cancelled: Arc<AtomicBool>) -> Self {
        Self {
            deadline: Instant::now() + time,
            steps_left: Cell::new(steps),
            cancelled,
            exhausted: Cell::new(None),
        }
    }

    /// A budget that never runs out in practice (tests, offline tools).
    pub fn unlimited() -> Self {
        Self::new(
            Duration::from_secs(3600),
            u64::MAX,
            Arc::new(AtomicBool::new(false)),
        )
    }

    /// Spends one step; `false` once the budget has run out (and from then on).
    pub fn spend(&self) -> bool {
        if self.exhausted.get().is_some() {
            return false;
        }
        let left = self.steps_left.get();
        if left == 0 {
            self.exhausted.set(Some(Exhausted::Steps));
            return false;
        }
        self.steps_left.set(left - 1);
        if left % CHECK_EVERY == 0 {
            return self.check();
        }
        true
    }

    /// Looks at the clock and the cancel flag now; `false` when either ends the work.
    pub fn check(&self) -> bool {
        if self.exhausted.get().is_some() {
            return false;
        }
        if self.cancelled.load(Ordering::Relaxed) {
            self.exhausted.set(Some(Exhausted::Cancelled));
        } else if Instant::now() >= self.deadline {
            self.exhausted.set(Some(Exhausted::Time));
        }
        self.exhausted.get().is_none()
    }

    /// Why the budget ran out, if it has.
    pub fn exhausted(&self) -> Option<Exhausted> {
        self.exhausted.get()
    }

    /// A budget for one phase of a computation: `share` of the time left, the steps left and the
    /// same cancel flag, so that a search cut short at its phase's end leaves time for what follows.
    /// Account for it with [`Budget::spent`].
    pub fn phase(&self, share: f64) -> Budget {
        Budget {
            deadline: Instant::now() + self.time_left().mul_f64(share.clamp(0.0, 1.0)),
            steps_left: Cell::new(self.steps_left.get()),
            cancelled: self.cancelled.clone(),
            exhausted: Cell::new(self.exhausted.get()),
        }
    }

    /// Takes over what `phase` spent: its steps, and its end when steps or the caller ran out (a
    /// phase's own deadline is not this budget's).
    pub fn spent(&self, phase: &Budget) {
        self.steps_left.set(phase.steps_left.get());
        if let Some(why @ (Exhausted::Steps | Exhausted::Cancelled)) = phase.exhausted() {
            self.exhaust(why);
        }
    }

    /// Marks the budget as spent for `why` (a solver that stopped on its own time limit).
    pub fn exhaust(&self, why: Exhausted) {
        if self.exhausted.get().is_none() {
            self.exhausted.set(Some(why));
        }
    }

    /// Time left before the deadline (zero when past it or cancelled), whatever steps are left: a
    /// solver given this time limit still finishes on what a cut-short search found.
    pub fn time_left(&self) -> Duration {
        if self.cancelled.load(Ordering::Relaxed) {
            self.exhaust(Exhausted::Cancelled);
            return Duration::ZERO;
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            self.exhaust(Exhausted::Time);
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_out_and_stay_out() {
        let budget = Budget::new(Duration::from_secs(60), 3, Arc::new(AtomicBool::new(false)));
        assert!(budget.spend() && budget.spend() && budget.spend());
        assert!(!budget.spend());
        assert_eq!(budget.exhausted(), Some(Exhausted::Steps));
        assert!(!budget.check());
    }

    #[test]
    fn a_cancelled_budget_stops_within_one_check() {
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::new(Duration::from_secs(60), u64::MAX, flag.clone());
        assert!(budget.spend());
        flag.store(true, Ordering::Relaxed);
        let spent = (0..=CHECK_EVERY).take_while(|_| budget.spend()).count() as u64;
        assert!(spent <= CHECK_EVERY, "{spent}");
        assert_eq!(budget.exhausted(), Some(Exhausted::Cancelled));
        assert_eq!(budget.time_left(), Duration::ZERO);
    }

    #[test]
    fn a_phase_ends_at_its_share_of_the_time_and_passes_on_its_steps() {
        let budget = Budget::new(
            Duration::from_secs(60),
            1000,
            Arc::new(AtomicBool::new(false)),
        );
        let phase = budget.phase(0.0);
        assert!(!phase.check());
        assert_eq!(phase.exhausted(), Some(Exhausted::Time));
        budget.spent(&phase);
        assert!(budget.check(), "the phase's deadline is its own");
        let phase = budget.phase(0.5);
        while phase.spend() {}
        budget.spent(&phase);
        assert_eq!(budget.exhausted(), Some(Exhausted::Steps));
    }

    #[test]
    fn a_past_deadline_ends_the_work() {
        let budget = Budget::new(Duration::ZERO, u64::MAX, Arc::new(AtomicBool::new(false)));
        assert!(!budget.check());
        assert_eq!(budget.exhausted(), Some(Exhausted::Time));
    }
}
