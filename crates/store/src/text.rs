//! Bounds on the free text a call record may put in the database.

/// Byte limits per kind of text column. The gateway copies some of these values from the
/// caller's request (model, user agent, request id), so they are bounded before they reach disk.
pub(crate) mod limits {
    /// Names and identifiers: request id, key, model, route, provider, user agent.
    pub(crate) const IDENTIFIER: usize = 256;
    /// Short codes: inbound API, error kind, finish reason, client IP.
    pub(crate) const CODE: usize = 64;
    /// Sentences and lists: error message, dropped fields.
    pub(crate) const MESSAGE: usize = 1024;
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
pub(crate) fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_keeps_short_text_and_cuts_on_char_boundaries() {
        assert_eq!(clip("gpt-4o", 64), "gpt-4o");
        assert_eq!(clip("abcdef", 3), "abc");
        // "é" is two bytes: a cut inside it backs off to before it.
        assert_eq!(clip("aé", 2), "a");
        assert_eq!(clip("aé", 3), "aé");
        assert_eq!(clip("", 0), "");
    }
}
