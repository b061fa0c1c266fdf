//! Counting in fixed windows: at most `limit` events per key (a reseller's
//! requests, a client address's failed authentications, registrations,
//! test events) per window. The partner API's rate limit and the abuse
//! throttles are all one [`Throttle`].
//!
//! A key's window starts at its first event after its last window ended
//! (never at a fixed clock time, so every key's first window is whole).
//! On SQLite (one instance) a throttle counts in this process's memory.
//! On PostgreSQL several instances may serve the same key, so the window's
//! quota is shared through the database: the window is started and timed
//! by the database's clock, and an instance
//! takes the quota in small batches ([`batch`]) which it spends in memory.
//! A request writes nothing unless its instance's batch is used up; once
//! every unit of the window is taken, each instance refuses from memory
//! until the window ends. What an idle instance holds of its last batch
//! is stranded for the rest of the window (at most a twentieth of the
//! limit), so all instances together never allow more than `limit`.

use crate::store::Store;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Keys kept before expired windows are swept out.
const SWEEP_ABOVE: usize = 10_000;
/// While the database cannot be reached, an instance allows one batch per
/// key per this long (a limit kept per instance rather than none at all,
/// and rather than refusing everything because a counter is down).
const OUTAGE_GRANT: Duration = Duration::from_secs(1);

/// The outcome of counting one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    /// What may still be allowed in this window, as far as this instance
    /// knows: its own unspent batch plus what no instance had taken at its
    /// last lease (others may have taken some since, never the other way).
    pub remaining: u64,
    /// Seconds until the window ends (at least 1 when refused).
    pub reset_secs: u64,
}

/// How much of the quota an instance takes at a time: a twentieth of the
/// limit (what an idle instance may strand), at least 1 and at most 1,000
/// (one write per thousand requests at most, for very high limits).
pub fn batch(limit: u64) -> u64 {
    (limit / 20).clamp(1, 1000)
}

#[derive(Debug)]
pub struct Throttle {
    /// Names the counter in the shared table (`reseller`, `auth_failures`).
    scope: &'static str,
    /// The limit `hit` and `blocked` apply (the rate limiter passes each
    /// reseller's own to `take`).
    limit: u64,
    window: Duration,
    windows: Mutex<HashMap<String, Window>>,
    /// Set on PostgreSQL: the quota is leased from the database.
    shared: Option<Store>,
}

#[derive(Debug)]
struct Window {
    ends: Instant,
    used: u64,
    /// Units this instance may spend in the window (local: the limit).
    granted: u64,
    /// Shared only: the database's window these units belong to.
    index: Option<i64>,
    /// Shared only: what no instance had taken at the last lease.
    left: u64,
    /// One lease at a time per key and instance.
    leasing: Arc<tokio::sync::Mutex<()>>,
}

impl Window {
    fn empty(now: Instant) -> Self {
        Window {
            ends: now,
            used: 0,
            granted: 0,
            index: None,
            left: 0,
            leasing: Arc::default(),
        }
    }

    /// Shared: nothing more can be leased in this window.
    fn exhausted(&self) -> bool {
        self.index.is_some() && self.left == 0
    }

    fn decision(&self, allowed: bool, limit: u64, now: Instant) -> Decision {
        let reset = self.ends.saturating_duration_since(now);
        let reset_secs = reset.as_secs() + u64::from(reset.subsec_nanos() > 0);
        Decision {
            allowed,
            limit,
            remaining: self.granted.saturating_sub(self.used) + self.left,
            reset_secs: if allowed { reset_secs } else { reset_secs.max(1) },
        }
    }
}

impl Throttle {
    /// A throttle counting in this process only.
    pub fn local(scope: &'static str, limit: u64, window: Duration) -> Self {
        Throttle {
            scope,
            limit: limit.max(1),
            window,
            windows: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// A throttle shared by every instance on `store`'s database when that
    /// is PostgreSQL; local on SQLite.
    pub fn for_store(store: &Store, scope: &'static str, limit: u64, window: Duration) -> Self {
        let mut throttle = Throttle::local(scope, limit, window);
        if store.backend() == crate::store::Backend::Postgres {
            throttle.shared = Some(store.clone());
        }
        throttle
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts one event of `key` against the throttle's own limit.
    /// `Err(seconds)` when it is over: the seconds until the window ends.
    pub async fn hit(&self, key: &str) -> Result<(), u64> {
        let decision = self.take(key, self.limit).await;
        if decision.allowed {
            Ok(())
        } else {
            Err(decision.reset_secs)
        }
    }

    /// `Some(seconds)` while `key` is known to be over the throttle's
    /// limit, without counting or asking the database.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = windows.get(key)?;
        let spent = window.used >= window.granted && (self.shared.is_none() || window.exhausted());
        (spent && now < window.ends).then(|| window.decision(false, self.limit, now).reset_secs)
    }

    /// Counts one event of `key` against `limit` if the window allows it.
    pub async fn take(&self, key: &str, limit: u64) -> Decision {
        let limit = limit.max(1);
        let Some(store) = &self.shared else {
            return self.take_local(key, limit, Instant::now());
        };
        loop {
            let leasing = match self.spend(key, limit) {
                Ok(decision) => return decision,
                Err(leasing) => leasing,
            };
            // Requests of the same key wait for one lease instead of each
            // taking a batch; after it, they spend what it brought.
            let _one_lease = leasing.lock().await;
            if self.has_funds_or_answer(key) {
                continue;
            }
            let lease = store
                .lease_quota(self.scope, key, limit, batch(limit), self.window)
                .await;
            let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
            let window = windows
                .entry(key.to_owned())
                .or_insert_with(|| Window::empty(Instant::now()));
            let now = Instant::now();
            match lease {
                Ok(Some(lease)) => {
                    if window.index != Some(lease.window_index) {
                        window.used = 0;
                        window.granted = 0;
                    }
                    window.index = Some(lease.window_index);
                    window.granted += lease.granted;
                    window.left = lease.left;
                    window.ends = now + lease.window_left;
                }
                Ok(None) => unreachable!("a shared throttle's store is PostgreSQL"),
                Err(err) => {
                    tracing::warn!(%err, scope = self.scope, "leasing quota failed; counting locally for a second");
                    window.index = None;
                    window.used = 0;
                    window.granted = batch(limit);
                    window.left = 0;
                    window.ends = now + OUTAGE_GRANT;
                }
            }
        }
    }

    /// Shared: spends from this instance's batch, or refuses when the
    /// window is exhausted; `Err` with the key's lease lock when a lease
    /// is needed first.
    fn spend(&self, key: &str, limit: u64) -> Result<Decision, Arc<tokio::sync::Mutex<()>>> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window_of(&mut windows, key, now);
        if now >= window.ends {
            window.used = 0;
            window.granted = 0;
            window.index = None;
            window.left = 0;
        }
        if window.used < window.granted {
            window.used += 1;
            return Ok(window.decision(true, limit, now));
        }
        if window.exhausted() {
            return Ok(window.decision(false, limit, now));
        }
        Err(window.leasing.clone())
    }

    /// After waiting for the lease lock: whether another request's lease
    /// already settled this key (units to spend, or an exhausted window).
    fn has_funds_or_answer(&self, key: &str) -> bool {
        let now = Instant::now();
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .get(key)
            .is_some_and(|w| now < w.ends && (w.used < w.granted || w.exhausted()))
    }

    fn take_local(&self, key: &str, limit: u64, now: Instant) -> Decision {
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.window_of(&mut windows, key, now);
        if now >= window.ends {
            window.ends = now + self.window;
            window.used = 0;
        }
        window.granted = limit;
        let allowed = window.used < limit;
        if allowed {
            window.used += 1;
        }
        window.decision(allowed, limit, now)
    }

    /// `key`'s window (a new one if it has none), after sweeping out
    /// expired windows when there are many.
    fn window_of<'a>(&self, windows: &'a mut HashMap<String, Window>, key: &str, now: Instant) -> &'a mut Window {
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| now < w.ends);
        }
        if !windows.contains_key(key) {
            windows.insert(key.to_owned(), Window::empty(now));
        }
        windows.get_mut(key).expect("inserted above")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_per_key_within_a_window() {
        let t = Throttle::local("test", 3, Duration::from_secs(60));
        for i in 0..3 {
            let d = t.take("a", 3).await;
            assert!(d.allowed);
            assert_eq!(d.remaining, 2 - i);
            assert!((59..=60).contains(&d.reset_secs));
        }
        assert!(t.blocked("a").is_some(), "at the limit, the next one is refused");
        let refused = t.take("a", 3).await;
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert!(t.hit("a").await.is_err());
        assert!(t.take("b", 3).await.allowed, "another key is unaffected");
        assert_eq!(t.blocked("b"), None);
        assert!(t.take("a", 4).await.allowed, "a raised limit applies at once");
    }

    #[test]
    fn a_new_window_starts_after_the_old_one() {
        let t = Throttle::local("test", 1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(t.take_local("a", 1, t0).allowed);
        let refused = t.take_local("a", 1, t0 + Duration::from_secs(10));
        assert!(!refused.allowed);
        assert_eq!(refused.reset_secs, 50);
        let next = t.take_local("a", 1, t0 + Duration::from_secs(60));
        assert!(next.allowed);
        assert_eq!(next.remaining, 0);
    }

    #[test]
    fn batches_are_a_twentieth_of_the_limit() {
        assert_eq!(batch(1), 1);
        assert_eq!(batch(40), 2);
        assert_eq!(batch(1000), 50);
        assert_eq!(batch(u64::MAX), 1000);
    }
}
