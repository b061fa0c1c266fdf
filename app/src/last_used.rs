//! When a credential was last used (API keys, admin tokens) and a session
//! last seen: written at most once a minute each, so a busy script or
//! browser does not turn every read into a write (on SQLite, a turn at the
//! one write lock). One rule for all three: [`due`].

use crate::timestamp::Timestamp;
use std::{collections::HashMap, sync::Mutex};

/// A use is recorded at most this often per credential.
pub const EVERY: time::Duration = time::Duration::minutes(1);

/// The last recorded use older than which a use at `now` is recorded (the
/// store's writes take it, so instances racing for one row write it once).
pub fn stale_before(now: Timestamp) -> Timestamp {
    now.minus(EVERY)
}

/// Whether a use at `now` is recorded, the last recorded one being `last`.
pub fn due(last: Option<Timestamp>, now: Timestamp) -> bool {
    last.is_none_or(|at| at <= stale_before(now))
}

/// When each credential's use was last recorded, as far as this process
/// knows, by credential prefix: the decision for credentials checked
/// without reading their row (API keys come from the request path's
/// cache), and, since a credential is in it only after it passed every
/// check, which credentials are known to work.
#[derive(Debug, Default)]
pub struct Recorded(Mutex<HashMap<String, Timestamp>>);

impl Recorded {
    /// Whether `prefix`'s use at `now` is to be recorded ([`due`]); when it
    /// is, it counts as recorded from now on.
    pub fn due(&self, prefix: &str, now: Timestamp) -> bool {
        let mut recorded = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !due(recorded.get(prefix).copied(), now) {
            return false;
        }
        recorded.insert(prefix.to_owned(), now);
        true
    }

    /// Notes that `prefix`'s use is recorded as of `at` (the caller read
    /// it from the credential's row, or has just written it).
    pub fn note(&self, prefix: &str, at: Timestamp) {
        let mut recorded = self.0.lock().unwrap_or_else(|p| p.into_inner());
        recorded.insert(prefix.to_owned(), at);
    }

    /// Whether `prefix`'s use was recorded at or after `since`.
    pub fn since(&self, prefix: &str, since: Timestamp) -> bool {
        let recorded = self.0.lock().unwrap_or_else(|p| p.into_inner());
        recorded.get(prefix).is_some_and(|at| *at >= since)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_recorded_at_most_once_a_minute() {
        let now = Timestamp::now();
        assert!(due(None, now), "never recorded");
        assert!(!due(Some(now.minus(time::Duration::seconds(59))), now));
        assert!(due(Some(now.minus(EVERY)), now));
        assert!(due(Some(now.minus(time::Duration::hours(2))), now));

        let recorded = Recorded::default();
        assert!(!recorded.since("key_a", now.minus(time::Duration::minutes(10))));
        assert!(recorded.due("key_a", now));
        assert!(!recorded.due("key_a", now.plus(time::Duration::seconds(30))));
        assert!(recorded.due("key_b", now), "another key");
        assert!(recorded.due("key_a", now.plus(EVERY)));
        assert!(recorded.since("key_a", now.minus(time::Duration::minutes(10))));
        assert!(!recorded.since("key_a", now.plus(time::Duration::minutes(2))));
        recorded.note("key_c", now.minus(time::Duration::minutes(20)));
        assert!(!recorded.since("key_c", now.minus(time::Duration::minutes(10))));
        assert!(recorded.due("key_c", now));
    }
}
