//! A minimal JSON writer for the simulator's answers, webhooks and
//! `getTransactionResult` data: objects are written straight into a byte
//! buffer, keys in the order they are written (no intermediate
//! `serde_json::Value` tree, one allocation per answer). Strings are escaped
//! exactly as `serde_json` escapes them.

/// Bytes that need escaping in a JSON string: controls, `"` and `\\`.
const ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a JSON string (quotes and escapes included).
pub(crate) fn push_str(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !ESCAPE[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// An open JSON object; the closing brace is written when it is dropped, so
/// nested objects are closed by scope.
pub(crate) struct Obj<'a> {
    out: &'a mut Vec<u8>,
    empty: bool,
}

impl<'a> Obj<'a> {
    /// Opens an object at the end of `out`.
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, empty: true }
    }

    fn key(&mut self, k: &str) {
        if !self.empty {
            self.out.push(b',');
        }
        self.empty = false;
        push_str(self.out, k);
        self.out.push(b':');
    }

    /// `"k":"v"`.
    pub(crate) fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        push_str(self.out, v);
        self
    }

    /// `"k":"v"` when `v` is `Some`.
    pub(crate) fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.str(k, v);
        }
        self
    }

    /// `"k":"<n>"` (amounts are strings in the API).
    pub(crate) fn num_str(&mut self, k: &str, n: u64) -> &mut Self {
        self.key(k);
        self.out.push(b'"');
        self.out.extend_from_slice(n.to_string().as_bytes());
        self.out.push(b'"');
        self
    }

    /// `"k":"<prefix><s>"`.
    pub(crate) fn prefixed_str(&mut self, k: &str, prefix: &str, s: &str) -> &mut Self {
        self.key(k);
        let mut v = String::with_capacity(prefix.len() + s.len());
        v.push_str(prefix);
        v.push_str(s);
        push_str(self.out, &v);
        self
    }

    /// `"k":{…}`: the nested object, open until the returned value is dropped.
    pub(crate) fn obj(&mut self, k: &str) -> Obj<'_> {
        self.key(k);
        Obj::new(self.out)
    }
}

impl Drop for Obj<'_> {
    fn drop(&mut self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "日本語 ✓",
        ] {
            let mut out = Vec::new();
            push_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn nested_objects_close_by_scope() {
        let mut out = Vec::new();
        {
            let mut o = Obj::new(&mut out);
            o.str("a", "1").opt_str("skip", None).num_str("n", 42);
            {
                let mut inner = o.obj("b");
                inner.prefixed_str("c", "X", "y");
            }
            o.obj("empty");
        }
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": "1", "n": "42", "b": {"c": "Xy"}, "empty": {}})
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":"1","n":"42","b":{"c":"Xy"},"empty":{}}"#
        );
    }
}
