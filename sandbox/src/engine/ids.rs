//! Identifiers, consumer tokens and the simulator's draws.
//!
//! Two generators: the seeded one ([`Ids::next_rand`]: faults, the redirect
//! parameter rotation, and one draw per identifier) so a seeded fault plan
//! repeats, and one seeded once from the OS for the random part of
//! identifiers and tokens (one `getrandom` per simulator instead of one per
//! identifier).

/// splitmix64's output function.
fn splitmix_mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generators and the identifier counter.
pub(super) struct Ids {
    rng: u64,
    id_rng: u64,
    counter: u64,
}

impl Ids {
    /// `seed` is the random-fault seed (0 without random faults).
    pub(super) fn new(seed: u64) -> Ids {
        Ids {
            rng: seed ^ 0x9E37_79B9_7F4A_7C15,
            id_rng: uuid::Uuid::new_v4().as_u64_pair().0,
            counter: 0,
        }
    }

    /// The next seeded draw (splitmix64).
    pub(super) fn next_rand(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix_mix(self.rng)
    }

    /// The random part of identifiers: splitmix64 seeded once from the OS.
    fn next_id_rand(&mut self) -> u64 {
        self.id_rng = self.id_rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix_mix(self.id_rng)
    }

    /// A fresh identifier: 26 upper-case base-32 characters (ULID-like).
    pub(super) fn new_id(&mut self) -> String {
        self.counter += 1;
        // One seeded draw per identifier, so the seeded fault sequence does
        // not depend on how identifiers are made.
        let mut x =
            (u128::from(self.counter) << 64) | u128::from(self.next_rand() ^ self.next_id_rand());
        const ALPHA: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut out = String::with_capacity(27);
        let mut buf = [0u8; 26];
        for c in buf.iter_mut().rev() {
            *c = ALPHA[(x & 31) as usize];
            x >>= 5;
        }
        out.extend(buf.iter().map(|&b| char::from(b)));
        out
    }

    /// A consumer-page token: a version-4 UUID (32 lower-case hex digits).
    pub(super) fn new_token(&mut self) -> String {
        let hi = self.next_id_rand().to_le_bytes();
        let lo = self.next_id_rand().to_le_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&hi);
        bytes[8..].copy_from_slice(&lo);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .simple()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_v4_uuids() {
        let mut ids = Ids::new(0);
        let t = ids.new_token();
        assert_eq!(t.len(), 32);
        let u = uuid::Uuid::parse_str(&t).unwrap();
        assert_eq!(u.get_version_num(), 4);
        assert_ne!(t, ids.new_token());
    }

    #[test]
    fn ids_are_unique_and_in_the_allowed_charset() {
        let mut ids = Ids::new(0);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let id = ids.new_id();
            assert_eq!(id.len(), 26);
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(id));
        }
    }
}
