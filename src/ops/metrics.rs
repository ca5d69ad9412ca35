//! Request latency and errors over a sliding window, for the self-check: ten-second slots of an HDR
//! histogram each (2 significant digits, so a p95 is within 1 %), merged when read.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

/// Width of one slot.
const SLOT: Duration = Duration::from_secs(10);
/// Latencies are recorded in microseconds up to an hour (longer ones count as an hour).
const MAX_MICROS: u64 = 3_600_000_000;

/// Requests served by this node in the last minutes.
#[derive(Clone)]
pub struct RequestWindow {
    inner: Arc<Mutex<Slots>>,
    span: Duration,
}

struct Slots {
    slots: VecDeque<Slot>,
}

struct Slot {
    start: Instant,
    latency: Histogram<u64>,
    errors: u64,
}

/// What the window saw.
#[derive(
    Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, poem_openapi::Object,
)]
pub struct WindowSummary {
    pub window_secs: u64,
    pub requests: u64,
    /// Responses with a 5xx status.
    pub errors: u64,
    /// `errors / requests` in percent; 0 without requests.
    pub error_rate_pct: f64,
    /// `None` without requests.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl RequestWindow {
    /// A window of `span` (rounded up to whole slots).
    pub fn new(span: Duration) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Slots {
                slots: VecDeque::new(),
            })),
            span,
        }
    }

    /// Records one response.
    pub fn record(&self, latency: Duration, server_error: bool) {
        self.record_at(Instant::now(), latency, server_error);
    }

    fn record_at(&self, now: Instant, latency: Duration, server_error: bool) {
        let micros = (latency.as_micros() as u64).clamp(1, MAX_MICROS);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = inner
            .slots
            .back()
            .is_none_or(|s| now.duration_since(s.start) >= SLOT);
        if fresh {
            let span = self.span;
            inner
                .slots
                .retain(|s| now.saturating_duration_since(s.start) < span + SLOT);
            inner.slots.push_back(Slot {
                start: now,
                latency: Histogram::new_with_bounds(1, MAX_MICROS, 2)
                    .expect("valid histogram bounds"),
                errors: 0,
            });
        }
        let slot = inner.slots.back_mut().expect("a slot was just ensured");
        slot.latency.saturating_record(micros);
        if server_error {
            slot.errors += 1;
        }
    }

    /// The slots that started within the window.
    pub fn summary(&self) -> WindowSummary {
        self.summary_at(Instant::now())
    }

    fn summary_at(&self, now: Instant) -> WindowSummary {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut merged: Histogram<u64> =
            Histogram::new_with_bounds(1, MAX_MICROS, 2).expect("valid histogram bounds");
        let mut errors = 0;
        for slot in inner
            .slots
            .iter()
            .filter(|s| now.saturating_duration_since(s.start) < self.span)
        {
            merged.add(&slot.latency).expect("same bounds");
            errors += slot.errors;
        }
        let requests = merged.len();
        let ms = |q: f64| (requests > 0).then(|| merged.value_at_quantile(q) as f64 / 1000.0);
        WindowSummary {
            window_secs: self.span.as_secs(),
            requests,
            errors,
            error_rate_pct: if requests == 0 {
                0.0
            } else {
                errors as f64 * 100.0 / requests as f64
            },
            p50_ms: ms(0.50),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_error_rate_of_the_window() {
        let w = RequestWindow::new(Duration::from_secs(300));
        let t0 = Instant::now();
        // 100 requests: 1..=100 ms, two of them 5xx.
        for i in 1..=100u64 {
            w.record_at(t0, Duration::from_millis(i), i % 50 == 0);
        }
        let s = w.summary_at(t0);
        assert_eq!(s.requests, 100);
        assert_eq!(s.errors, 2);
        assert!((s.error_rate_pct - 2.0).abs() < 1e-9);
        let p95 = s.p95_ms.unwrap();
        assert!((94.0..=96.0).contains(&p95), "{p95}");
        assert!((s.p50_ms.unwrap() - 50.0).abs() <= 0.5);
    }

    #[test]
    fn old_requests_leave_the_window() {
        let w = RequestWindow::new(Duration::from_secs(60));
        let t0 = Instant::now();
        w.record_at(t0, Duration::from_secs(5), true);
        let later = t0 + Duration::from_secs(61);
        w.record_at(later, Duration::from_millis(10), false);
        let s = w.summary_at(later);
        assert_eq!((s.requests, s.errors), (1, 0));
        assert!((s.p95_ms.unwrap() - 10.0).abs() < 0.1);
        // Nothing at all: no percentiles, no error rate.
        let s = w.summary_at(later + Duration::from_secs(120));
        assert_eq!((s.requests, s.p95_ms, s.error_rate_pct), (0, None, 0.0));
        // The slots do not pile up.
        assert!(w.inner.lock().unwrap().slots.len() <= 7);
    }
}
