//! Maps and sets keyed by the runtime's own `u64` ids (task ids, pids,
//! monitor ids), with a hasher made for them.
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// A hasher for the runtime's own `u64` ids (task ids, pids, monitor ids): they are
/// ours, sequential and not chosen by anyone hostile, so SipHash's
/// protection buys nothing and costs most of a spawn's map work. One
/// multiply spreads the bits, and the high half folded in keeps keys that
/// share their low bits (a live-set shard's) apart.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 32);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by the runtime's own `u64` ids.
pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
/// A set of the runtime's own `u64` ids.
pub(crate) type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
mod tests {
    use std::hash::Hasher;

    use super::*;

    /// Keys that share their low bits (a live-set shard holds pids equal
    /// modulo 16) still land in different buckets: the low bits of the hash
    /// take most of their 256 values.
    #[test]
    fn id_hashes_spread_keys_that_share_low_bits() {
        let low: HashSet<u64> = (0..1024u64)
            .map(|i| {
                let mut h = IdHasher::default();
                h.write_u64(i * 16 + 3);
                h.finish() & 0xff
            })
            .collect();
        assert!(low.len() > 200, "{} of 256", low.len());
    }
}
