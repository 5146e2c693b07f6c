//! Deterministic identifiers for responses and tool calls that arrive without one, so that the
//! same upstream answer always renders the same way (snapshots stay stable, retries compare).

/// FNV-1a over `parts` (with a separator between parts), 64 bits.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        for &byte in *part {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

/// `prefix` followed by 24 characters derived from `parts` (two differently salted FNV-1a
/// hashes, base-62). The same inputs always give the same id.
pub(crate) fn derive(prefix: &str, parts: &[&[u8]]) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(prefix.len() + 24);
    out.push_str(prefix);
    for salt in [&b"a"[..], &b"b"[..]] {
        let mut salted: Vec<&[u8]> = Vec::with_capacity(parts.len() + 1);
        salted.push(salt);
        salted.extend_from_slice(parts);
        let mut hash = fnv1a(&salted);
        for _ in 0..12 {
            let digit = usize::try_from(hash % 62).unwrap_or(0);
            out.push(char::from(ALPHABET.get(digit).copied().unwrap_or(b'0')));
            hash /= 62;
        }
    }
    out
}

/// An id for a response that arrived without one, derived from its model, creation time and
/// content, so the same answer always gets the same id.
pub(crate) fn derive_response_id(prefix: &str, resp: &crate::canonical::ChatResponse) -> String {
    use crate::canonical::Part;
    let created = resp.created.to_string();
    let mut parts: Vec<&[u8]> = vec![resp.model.as_bytes(), created.as_bytes()];
    for choice in &resp.choices {
        for part in &choice.content {
            match part {
                Part::Text { text, .. } | Part::Thinking { text, .. } => {
                    parts.push(text.as_bytes());
                }
                Part::ToolCall(call) => {
                    parts.push(call.name.as_bytes());
                    parts.push(call.arguments.as_bytes());
                }
                _ => {}
            }
        }
    }
    derive(prefix, &parts)
}

/// Makes `id` acceptable where only `[A-Za-z0-9_-]` is allowed (Anthropic tool ids), replacing
/// every other character with `_`. Ids that are already valid are returned unchanged, so ids
/// round-trip between APIs.
pub(crate) fn sanitize(id: &str) -> std::borrow::Cow<'_, str> {
    if id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        std::borrow::Cow::Borrowed(id)
    } else {
        std::borrow::Cow::Owned(
            id.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        let a = derive("call_", &[b"resp-1", b"0"]);
        assert_eq!(a, derive("call_", &[b"resp-1", b"0"]));
        assert_ne!(a, derive("call_", &[b"resp-1", b"1"]));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(derive("x", &[b"ab", b"c"]), derive("x", &[b"a", b"bc"]));
        assert_eq!(a.len(), "call_".len() + 24);
        assert!(
            a["call_".len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        );
    }

    #[test]
    fn sanitize_keeps_valid_ids() {
        assert!(matches!(
            sanitize("call_Ab-9"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(sanitize("fc.1/2 é"), "fc_1_2__");
    }
}
