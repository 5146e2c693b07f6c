//! Server-Sent Events, incrementally decoded from arbitrary byte chunks, and encoded.
//!
//! The decoder follows the WHATWG "event stream interpretation" algorithm
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html>): lines end with `\r\n`,
//! `\n` or `\r`; a blank line dispatches the event; lines starting with `:` are comments; a field
//! without a colon has an empty value; one space after the colon is stripped; `data` lines are
//! joined with `\n`; `id` and `retry` are accepted and ignored (Portcullis never reconnects to an
//! upstream stream); an event without any `data` line is not dispatched; a leading UTF-8 BOM is
//! skipped. Bytes are decoded as UTF-8 line by line, invalid sequences replaced with U+FFFD.

use std::collections::VecDeque;

/// One event of an SSE stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, if the event had one.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Why [`SseDecoder::push`] refused a chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One event (its data plus the line being read) grew past the configured limit. The decoder
    /// stays in this state: the stream should be abandoned.
    #[error("server-sent event larger than {limit} bytes")]
    EventTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
}

/// The default bound on one event's size, see [`SseDecoder::with_max_event_bytes`].
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Incremental SSE decoder: feed it byte chunks as they arrive with [`SseDecoder::push`], take
/// complete events with [`SseDecoder::next_event`], and call [`SseDecoder::finish`] when the body
/// ends.
///
/// Chunks may be split anywhere, including inside a UTF-8 sequence or between the `\r` and `\n`
/// of a line ending. Memory is bounded by the largest event (see
/// [`SseDecoder::with_max_event_bytes`]).
#[derive(Debug)]
pub struct SseDecoder {
    /// Bytes of the line being read (everything after the last line ending seen).
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to that ending.
    skip_lf: bool,
    /// Still at the very start of the stream, where a BOM may appear.
    at_start: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    ready: VecDeque<SseEvent>,
    max_event_bytes: usize,
    failed: bool,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default 16 MiB event size limit.
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A decoder that fails ([`SseError::EventTooLarge`]) once one event's data plus its pending
    /// line exceeds `max_event_bytes`.
    pub fn with_max_event_bytes(max_event_bytes: usize) -> Self {
        SseDecoder {
            line: Vec::new(),
            skip_lf: false,
            at_start: true,
            event: None,
            data: String::new(),
            has_data: false,
            ready: VecDeque::new(),
            max_event_bytes,
            failed: false,
        }
    }

    /// Feeds the next chunk of the body. Complete events become available from
    /// [`SseDecoder::next_event`].
    ///
    /// Fails only when one event exceeds the size limit; after that every call fails.
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), SseError> {
        if self.failed {
            return Err(self.too_large());
        }
        if self.at_start {
            chunk = self.strip_bom(chunk);
            if self.at_start {
                // Still undecided (a BOM prefix is buffered in `line`).
                return Ok(());
            }
        }
        if self.skip_lf && !chunk.is_empty() {
            self.skip_lf = false;
            if let Some((&b'\n', rest)) = chunk.split_first() {
                chunk = rest;
            }
        }
        while let Some(pos) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (head, tail) = chunk.split_at(pos);
            let is_cr = tail.first() == Some(&b'\r');
            let mut rest = tail.get(1..).unwrap_or_default();
            if is_cr {
                match rest.first() {
                    Some(b'\n') => rest = rest.get(1..).unwrap_or_default(),
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            if self.line.is_empty() {
                self.check_size(head.len())?;
                self.process_line(head);
            } else {
                self.line.extend_from_slice(head);
                self.check_size(0)?;
                let line = std::mem::take(&mut self.line);
                self.process_line(&line);
                // Keep the allocation for the next long line.
                self.line = line;
                self.line.clear();
            }
            chunk = rest;
        }
        self.line.extend_from_slice(chunk);
        self.check_size(0)
    }

    /// The next complete event, in stream order, or `None` until more bytes arrive.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// The body ended: treats a trailing unterminated line as complete and dispatches the event
    /// being built even without its closing blank line (the spec would discard it; upstreams that
    /// close the connection right after their last `data:` line are common enough to be kind).
    ///
    /// Returns the next pending event; keep calling [`SseDecoder::next_event`] afterwards until it
    /// returns `None` to drain everything.
    pub fn finish(&mut self) -> Option<SseEvent> {
        if !self.failed {
            if !self.line.is_empty() {
                let line = std::mem::take(&mut self.line);
                self.process_line(&line);
            }
            self.dispatch();
        }
        self.ready.pop_front()
    }

    fn too_large(&self) -> SseError {
        SseError::EventTooLarge {
            limit: self.max_event_bytes,
        }
    }

    fn check_size(&mut self, extra: usize) -> Result<(), SseError> {
        let size = self.data.len() + self.line.len() + extra;
        if size > self.max_event_bytes {
            self.failed = true;
            self.line = Vec::new();
            self.data = String::new();
            return Err(self.too_large());
        }
        Ok(())
    }

    /// Consumes a BOM at the start of the stream, possibly spread over several chunks.
    fn strip_bom<'c>(&mut self, chunk: &'c [u8]) -> &'c [u8] {
        let have = self.line.len();
        let need = BOM.len() - have;
        let take = need.min(chunk.len());
        let head = chunk.get(..take).unwrap_or_default();
        if BOM.get(have..have + take) == Some(head) {
            if take == need {
                self.line.clear();
                self.at_start = false;
            } else {
                self.line.extend_from_slice(head);
            }
            return chunk.get(take..).unwrap_or_default();
        }
        // Not a BOM: the buffered prefix is ordinary data.
        self.at_start = false;
        chunk
    }

    fn process_line(&mut self, line: &[u8]) {
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line.first() == Some(&b':') {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let (name, rest) = line.split_at(colon);
                let value = rest.get(1..).unwrap_or_default();
                (name, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.has_data = true;
                self.data.push_str(&String::from_utf8_lossy(value));
            }
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            // `id` and `retry` only matter to a reconnecting client; unknown fields are ignored
            // by the spec.
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event = self.event.take().filter(|e| !e.is_empty());
        if !self.has_data {
            return;
        }
        self.has_data = false;
        self.ready.push_back(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
        });
    }
}

/// Appends one SSE event to `out`: an `event:` line when `event` is given, one `data:` line per
/// line of `data` (split on `\r\n`, `\n` and `\r`, so any text round-trips through a decoder),
/// and the terminating blank line.
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &str) {
    if let Some(event) = event {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(event.as_bytes());
        out.push(b'\n');
    }
    let mut rest = data;
    loop {
        out.extend_from_slice(b"data: ");
        match rest.find(['\r', '\n']) {
            Some(pos) => {
                let (line, tail) = rest.split_at(pos);
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                rest = tail
                    .strip_prefix("\r\n")
                    .or_else(|| tail.get(1..))
                    .unwrap_or_default();
            }
            None => {
                out.extend_from_slice(rest.as_bytes());
                out.push(b'\n');
                break;
            }
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for chunk in chunks {
            decoder.push(chunk).unwrap();
            while let Some(event) = decoder.next_event() {
                events.push(event);
            }
        }
        while let Some(event) = decoder.finish() {
            events.push(event);
        }
        events
    }

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
        }
    }

    #[test]
    fn all_line_endings_are_equivalent() {
        let expected = vec![ev(Some("a"), "1\n2"), ev(None, "3")];
        for text in [
            "event: a\ndata: 1\ndata: 2\n\ndata: 3\n\n",
            "event: a\r\ndata: 1\r\ndata: 2\r\n\r\ndata: 3\r\n\r\n",
            "event: a\rdata: 1\rdata: 2\r\rdata: 3\r\r",
        ] {
            assert_eq!(decode_all(&[text.as_bytes()]), expected, "{text:?}");
        }
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let text =
            "\u{feff}: comment\r\nevent:error\r\ndata:{\"x\":\"é€😀\"}\r\n\r\ndata\rdata:  two\r\r";
        let bytes = text.as_bytes();
        let whole = decode_all(&[bytes]);
        assert_eq!(
            whole,
            vec![ev(Some("error"), "{\"x\":\"é€😀\"}"), ev(None, "\n two")]
        );
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let parts = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                assert_eq!(decode_all(&parts), whole, "split at {i},{j}");
            }
        }
    }

    #[test]
    fn cr_at_chunk_end_then_lf_is_one_line_ending() {
        let events = decode_all(&[b"data: a\r", b"\n", b"\r", b"\ndata: b\n\n"]);
        assert_eq!(events, vec![ev(None, "a"), ev(None, "b")]);
    }

    #[test]
    fn events_without_data_are_not_dispatched_and_id_retry_are_ignored() {
        let events = decode_all(&[b"event: ping\n\nid: 7\nretry: 10\ndata: x\nfoo: bar\n\n"]);
        assert_eq!(events, vec![ev(None, "x")]);
    }

    #[test]
    fn empty_data_line_dispatches_an_empty_event() {
        assert_eq!(decode_all(&[b"data:\n\n"]), vec![ev(None, "")]);
        assert_eq!(decode_all(&[b"event:\ndata\n\n"]), vec![ev(None, "")]);
    }

    #[test]
    fn finish_flushes_an_unterminated_event() {
        assert_eq!(decode_all(&[b"data: [DONE]"]), vec![ev(None, "[DONE]")]);
        assert_eq!(decode_all(&[b"data: a\n"]), vec![ev(None, "a")]);
        assert_eq!(decode_all(&[b": only a comment"]), vec![]);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let events = decode_all(&[b"data: a\xff\xfeb\n\n"]);
        assert_eq!(events, vec![ev(None, "a\u{fffd}\u{fffd}b")]);
    }

    #[test]
    fn bom_only_at_start_and_partial_bom_is_data() {
        assert_eq!(
            decode_all(&[b"\xEF", b"\xBB\xBFdata: a\n\n"]),
            vec![ev(None, "a")]
        );
        // A lone 0xEF that turns out not to be a BOM stays part of the (garbage) line.
        assert_eq!(decode_all(&[b"\xEF", b"data: a\n\n"]), vec![]);
        assert_eq!(
            decode_all(&[b"data: \xEF\xBB\xBFa\n\n"]),
            vec![ev(None, "\u{feff}a")]
        );
    }

    #[test]
    fn oversized_event_fails_and_stays_failed() {
        // The limit counts the event's data plus the raw line being read.
        let mut decoder = SseDecoder::with_max_event_bytes(16);
        decoder.push(b"data: 12345\n").unwrap();
        let err = decoder.push(b"data: 678901\n").unwrap_err();
        assert_eq!(err, SseError::EventTooLarge { limit: 16 });
        assert!(decoder.push(b"\n").is_err());
        assert_eq!(decoder.finish(), None);
        // A long line without an ending is caught too.
        let mut decoder = SseDecoder::with_max_event_bytes(16);
        decoder.push(b"data: 012345").unwrap();
        assert!(decoder.push(b"6789X").is_err());
    }

    #[test]
    fn write_event_round_trips_through_the_decoder() {
        let mut out = Vec::new();
        write_event(&mut out, Some("message_start"), "a\nb\r\nc\rd");
        write_event(&mut out, None, "");
        write_event(&mut out, None, "tail\n");
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "event: message_start\ndata: a\ndata: b\ndata: c\ndata: d\n\ndata: \n\ndata: tail\ndata: \n\n"
        );
        assert_eq!(
            decode_all(&[&out]),
            vec![
                ev(Some("message_start"), "a\nb\nc\nd"),
                ev(None, ""),
                ev(None, "tail\n")
            ]
        );
    }
}
