//! Request-path caches of the partner API: who a key belongs to, the
//! reseller's signing key and its catalogue. Without them every request
//! would read three or four rows that almost never change.
//!
//! An entry is used only while the store's configuration epoch is the one it
//! was read under and it is younger than its time to live (5 s for keys and
//! profiles, 2 s for catalogues). Any change to resellers, keys, webhook
//! secrets, the price book or products moves the epoch on: at once in the
//! process that made it, and on every other instance when the database's
//! announcement arrives (`app::store::instances`; a lost listening
//! connection moves it too). The times to live bound what an instance could
//! miss if announcements failed. Orders a reseller places here drop its
//! catalogue (units held); another instance's orders show in units held
//! within the catalogue's 2 s (orders are not announced: a notifying commit
//! takes a database-wide lock).
//!
//! Why not moka (or another caching crate): what decides whether an entry
//! may be used is the configuration epoch it was read under, checked on
//! every read, which a general cache's expiry cannot express; what is left
//! (a bounded map, a time to live) is the few lines below. `metrics` and
//! `prometheus-client` already cover the counting.

use super::auth::Partner;
use crate::metrics::Metrics;
use app::{ids::ResellerId, last_used::Recorded, timestamp::Timestamp};
use axum::body::Bytes;
use std::{
    collections::HashMap,
    hash::Hash,
    sync::Mutex,
    time::{Duration, Instant},
};

const PARTNER_TTL: Duration = Duration::from_secs(5);
const CATALOG_TTL: Duration = Duration::from_secs(2);
/// How long a key that worked is not held up by its address's failures.
const KNOWN_KEY: time::Duration = time::Duration::minutes(10);

struct Entry<V> {
    value: V,
    epoch: u64,
    loaded: Instant,
}

struct Map<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Map<K, V> {
    fn new(ttl: Duration) -> Self {
        Map {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, epoch: u64) -> Option<V> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|e| e.epoch == epoch && e.loaded.elapsed() < self.ttl)
            .map(|e| e.value.clone())
    }

    fn put(&self, key: K, value: V, epoch: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded: stale entries are dropped when the map grows.
        if entries.len() > 10_000 {
            let ttl = self.ttl;
            entries.retain(|_, e| e.loaded.elapsed() < ttl);
        }
        entries.insert(
            key,
            Entry {
                value,
                epoch,
                loaded: Instant::now(),
            },
        );
    }

    fn forget(&self, key: &K) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

pub struct PartnerCache {
    partners: Map<String, Partner>,
    signing_keys: Map<ResellerId, Option<Vec<u8>>>,
    /// `GET /products` bodies, serialised, with the time the next
    /// scheduled price version takes effect (the body is stale from then).
    catalogs: Map<ResellerId, (Bytes, Option<Timestamp>)>,
    /// Keys whose use this process recorded (`last_used_at`), by prefix.
    used: Recorded,
    /// Keys that passed every check here, by the whole key's digest (a
    /// prefix is no secret: a guess under a real one is not "known").
    authenticated: Recorded,
    metrics: Metrics,
}

impl std::fmt::Debug for PartnerCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PartnerCache")
    }
}

impl PartnerCache {
    /// An empty cache counting its hits in `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        PartnerCache {
            partners: Map::new(PARTNER_TTL),
            signing_keys: Map::new(PARTNER_TTL),
            catalogs: Map::new(CATALOG_TTL),
            used: Recorded::default(),
            authenticated: Recorded::default(),
            metrics,
        }
    }

    fn counted<V>(&self, cache: &'static str, found: Option<V>) -> Option<V> {
        self.metrics.cache_lookup(cache, found.is_some());
        found
    }

    /// The key record and reseller for a key prefix (the caller still
    /// compares the presented key with the record's hash).
    pub fn partner(&self, prefix: &str, epoch: u64) -> Option<Partner> {
        self.counted("partner", self.partners.get(&prefix.to_owned(), epoch))
    }

    pub fn put_partner(&self, prefix: &str, value: Partner, epoch: u64) {
        self.partners.put(prefix.to_owned(), value, epoch);
    }

    pub fn signing_key(&self, reseller: &ResellerId, epoch: u64) -> Option<Option<Vec<u8>>> {
        self.counted("signing_key", self.signing_keys.get(reseller, epoch))
    }

    pub fn put_signing_key(&self, reseller: &ResellerId, key: Option<Vec<u8>>, epoch: u64) {
        self.signing_keys.put(reseller.clone(), key, epoch);
    }

    /// The cached body, unless a scheduled version has taken effect by
    /// `now` since it was read.
    pub fn catalog(&self, reseller: &ResellerId, epoch: u64, now: Timestamp) -> Option<Bytes> {
        let fresh = self
            .catalogs
            .get(reseller, epoch)
            .filter(|(_, next_change)| next_change.is_none_or(|at| now < at))
            .map(|(body, _)| body);
        self.counted("catalog", fresh)
    }

    pub fn put_catalog(&self, reseller: &ResellerId, items: Bytes, next_change: Option<Timestamp>, epoch: u64) {
        self.catalogs.put(reseller.clone(), (items, next_change), epoch);
    }

    /// After an order: units held changed.
    pub fn forget_catalog(&self, reseller: &ResellerId) {
        self.catalogs.forget(reseller);
    }

    /// Whether this very key passed every check here in the last ten
    /// minutes: such a key is not held up by its address's failures.
    pub fn recently_authenticated(&self, presented: &str) -> bool {
        let digest = app::secrets::sha256_hex(presented);
        self.authenticated.since(&digest, Timestamp::now().minus(KNOWN_KEY))
    }

    /// Notes that the key whose digest is `key_hash` passed every check
    /// at `now`.
    pub fn authenticated(&self, key_hash: &str, now: Timestamp) {
        // At most once a minute per key (the lag is far below ten minutes).
        self.authenticated.due(key_hash, now);
    }

    /// Whether the key's `last_used_at` is due for a write at `now` (at
    /// most once a minute per key and process, `app::last_used`).
    pub fn due_for_touch(&self, prefix: &str, now: Timestamp) -> bool {
        self.used.due(prefix, now)
    }
}
