//! The business clock: the "now" every use case reads (orders, renewals,
//! payments, statements, audit entries, the dashboard). In production it
//! is the system clock. Tests and the demo move it to place history where
//! it belongs (an order three months ago, a renewal due tomorrow) through
//! the same use cases a partner or an operator calls, instead of writing
//! back-dated rows or sleeping.
//!
//! Security windows are not business time and read the system clock
//! (`Timestamp::now`) directly: sessions, invitations, request signatures,
//! idempotency keys' lifetime, rate limits and API key use. Moving the
//! business clock never lets a stale signature through or ends a session.
//!
//! The clock is an offset from the system clock, so time keeps running
//! while it is moved: a renewal "due in a minute" falls due a minute later.
//! Each process (each `Store`) has its own.

use crate::timestamp::Timestamp;
use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// See the module. Cheap to clone: clones share the offset.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds added to the system clock.
    offset_micros: Arc<AtomicI64>,
    /// A time the clock stands still at (unix microseconds; 0: running).
    frozen_micros: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, as the use cases see it.
    pub fn now(&self) -> Timestamp {
        let frozen = self.frozen_micros.load(Ordering::Acquire);
        if frozen != 0
            && let Some(at) = Timestamp::from_unix_micros(frozen)
        {
            return at;
        }
        let offset = self.offset_micros.load(Ordering::Acquire);
        if offset == 0 {
            return Timestamp::now();
        }
        Timestamp::now().plus(time::Duration::microseconds(offset))
    }

    /// Makes "now" be `at` and stand still there until the clock is set,
    /// advanced or reset: a test that compares two figures computed at two
    /// moments (a preview and its change) needs both at the same time.
    pub fn freeze(&self, at: Timestamp) {
        self.frozen_micros.store(at.unix_micros(), Ordering::Release);
    }

    /// Makes "now" be `at` (and run on from there).
    pub fn set(&self, at: Timestamp) {
        self.frozen_micros.store(0, Ordering::Release);
        let offset = at.unix_micros().saturating_sub(Timestamp::now().unix_micros());
        self.offset_micros.store(offset, Ordering::Release);
    }

    /// Moves "now" by `by` (either way).
    pub fn advance(&self, by: time::Duration) {
        let micros = i64::try_from(by.whole_microseconds()).unwrap_or(i64::MAX);
        if self.frozen_micros.load(Ordering::Acquire) != 0 {
            self.frozen_micros
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| Some(f.saturating_add(micros)))
                .ok();
            return;
        }
        self.offset_micros
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |o| Some(o.saturating_add(micros)))
            .ok();
    }

    /// Back to the system clock.
    pub fn reset(&self) {
        self.frozen_micros.store(0, Ordering::Release);
        self.offset_micros.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_and_back() {
        let clock = Clock::system();
        let before = Timestamp::now();
        assert!(clock.now() >= before);
        let past = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        clock.set(past);
        let seen = clock.now();
        assert!(seen >= past && seen < past.plus(time::Duration::seconds(5)), "{seen}");
        clock.advance(time::Duration::days(31));
        let seen = clock.now();
        assert!(seen >= past.plus(time::Duration::days(31)), "{seen}");
        assert!(seen < past.plus(time::Duration::days(31) + time::Duration::seconds(5)));
        let shared = clock.clone();
        shared.reset();
        assert!(clock.now() >= before, "clones share the offset");
    }
}
