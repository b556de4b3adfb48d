//! The hash maps of the simulator state.

/// foldhash: keys come from the local test client, so SipHash's flooding
/// resistance is not needed, and foldhash is several times cheaper per lookup.
pub(super) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
