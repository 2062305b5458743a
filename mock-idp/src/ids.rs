//! Identifiers the mock hands out: `jti`, authorization codes, refresh tokens, opaque access
//! tokens, session ids.
//!
//! Random by default (256 bits, base64url, safe in URLs and cookies). In deterministic mode they
//! are sequential per kind (`code-000001`, `rt-000001`, ...) so snapshots do not change.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::lock;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Debug)]
pub(crate) enum IdGenerator {
    Random(SystemRandom),
    Sequential(Mutex<HashMap<&'static str, u64>>),
}

impl IdGenerator {
    pub(crate) fn random() -> Self {
        Self::Random(SystemRandom::new())
    }

    pub(crate) fn sequential() -> Self {
        Self::Sequential(Mutex::new(HashMap::new()))
    }

    /// A fresh identifier; `kind` is the prefix used in deterministic mode.
    pub(crate) fn next(&self, kind: &'static str) -> String {
        match self {
            Self::Random(rng) => {
                let mut bytes = [0u8; 32];
                // SystemRandom only fails when the OS has no entropy source at all, which a
                // test tool cannot recover from.
                rng.fill(&mut bytes).expect("the OS random source failed");
                URL_SAFE_NO_PAD.encode(bytes)
            }
            Self::Sequential(counters) => {
                let mut counters = lock(counters);
                let n = counters.entry(kind).or_insert(0);
                *n += 1;
                format!("{kind}-{n:06}")
            }
        }
    }

    pub(crate) fn reset(&self) {
        if let Self::Sequential(counters) = self {
            lock(counters).clear();
        }
    }
}

/// `bytes` bytes of SHA-256 of `seed`, in hex: ids in Auth0's shapes (`rol_` + 16, `auth0|` +
/// 24) that are stable for a stable seed.
pub(crate) fn hex_digest(seed: &str, bytes: usize) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, seed.as_bytes())
        .as_ref()
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_ids_count_per_kind() {
        let ids = IdGenerator::sequential();
        assert_eq!(ids.next("code"), "code-000001");
        assert_eq!(ids.next("code"), "code-000002");
        assert_eq!(ids.next("rt"), "rt-000001");
        ids.reset();
        assert_eq!(ids.next("code"), "code-000001");
    }

    #[test]
    fn random_ids_are_url_safe_and_distinct() {
        let ids = IdGenerator::random();
        let (a, b) = (ids.next("x"), ids.next("x"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
