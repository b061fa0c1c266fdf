//! Counting abuse in this process: at most `limit` events per key (a
//! client address, a reseller) in a fixed window. For refusals that must
//! cost nothing (no database look-up) and need not be exact across
//! instances: failed partner authentication per address, registrations per
//! address, test events per reseller. Login failures, which must hold
//! across restarts, are counted in the database instead.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Keys kept before expired windows are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Throttle {
            limit: limit.max(1),
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one event of `key`. `Err(seconds)` when it is over the limit:
    /// the seconds until the window ends (at least 1).
    pub fn hit(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > SWEEP_ABOVE {
            let window = self.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > self.limit {
            Err(self.seconds_left(entry.0, now))
        } else {
            Ok(())
        }
    }

    /// `Some(seconds)` while `key` is over the limit, without counting.
    pub fn blocked(&self, key: &str) -> Option<u64> {
        let now = Instant::now();
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        windows
            .get(key)
            .filter(|(start, count)| *count >= self.limit && now.duration_since(*start) < self.window)
            .map(|(start, _)| self.seconds_left(*start, now))
    }

    fn seconds_left(&self, start: Instant, now: Instant) -> u64 {
        let left = self.window.saturating_sub(now.duration_since(start));
        (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_within_the_window() {
        let t = Throttle::new(2, Duration::from_secs(60));
        assert!(t.hit("a").is_ok());
        assert_eq!(t.blocked("a"), None);
        assert!(t.hit("a").is_ok());
        assert!(t.blocked("a").is_some(), "at the limit, the next one is refused");
        let wait = t.hit("a").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(t.hit("b").is_ok(), "another key is unaffected");
        let short = Throttle::new(1, Duration::ZERO);
        assert!(short.hit("a").is_ok());
        assert!(short.hit("a").is_ok(), "a new window starts");
    }
}
