//! Golden tests of stream translation: every upstream stream fixture (OpenAI, Anthropic) is
//! decoded into canonical events and encoded for every inbound API. The snapshot holds the
//! canonical events and both encodings; feeding the fixture in random chunk splits must give
//! exactly the same output.

#[expect(
    dead_code,
    reason = "each test binary uses a subset of the shared helpers"
)]
mod common;

use common::Rng;
use portcullis_llm::anthropic::{MessagesStreamDecoder, MessagesStreamEncoder};
use portcullis_llm::openai::{ChatStreamDecoder, ChatStreamEncoder};
use portcullis_llm::{StreamDecoder, StreamEvent};

#[cfg(test)]
fn decoder(api: &str) -> Box<dyn StreamDecoder> {
    match api {
        "openai" => Box::new(ChatStreamDecoder::new()),
        _ => Box::new(MessagesStreamDecoder::new()),
    }
}

#[cfg(test)]
fn encode_both(events: &[StreamEvent]) -> (String, String) {
    let openai = common::encode_stream(events, &mut ChatStreamEncoder::new("caller-model", true));
    let anthropic = common::encode_stream(events, &mut MessagesStreamEncoder::new("caller-model"));
    (openai, anthropic)
}

#[cfg(test)]
fn run(api: &str) {
    for (name, bytes) in common::fixtures(&format!("streams/{api}"), "sse") {
        let events = common::decode_stream(&[&bytes], decoder(api).as_mut());
        check_contract(&events, &format!("{api}/{name}"));
        let (openai, anthropic) = encode_both(&events);
        insta::assert_snapshot!(
            format!("{api}__{name}__events"),
            common::event_lines(&events)
        );
        insta::assert_snapshot!(format!("{api}__{name}__as_openai"), openai);
        insta::assert_snapshot!(format!("{api}__{name}__as_anthropic"), anthropic);

        let mut rng = Rng::new(name.len() as u64);
        for round in 0..40 {
            let max = [1, 2, 3, 7, 64][round % 5];
            let chunks = common::random_chunks(&bytes, &mut rng, max);
            let split_events = common::decode_stream(&chunks, decoder(api).as_mut());
            assert_eq!(split_events, events, "{api}/{name} split round {round}");
            assert_eq!(
                encode_both(&split_events),
                (openai.clone(), anthropic.clone())
            );
        }
    }
}

/// The decoder contract: `Start` first; `End` or `Error` last and nothing after; at most one
/// `Usage`, right before `End`.
#[cfg(test)]
fn check_contract(events: &[StreamEvent], name: &str) {
    let last = events.last().unwrap_or_else(|| panic!("{name}: no events"));
    assert!(
        matches!(last, StreamEvent::End | StreamEvent::Error(_)),
        "{name}: ends with {last:?}"
    );
    if !matches!(events.first(), Some(StreamEvent::Error(_))) {
        assert!(
            matches!(events.first(), Some(StreamEvent::Start { .. })),
            "{name}: no Start first"
        );
    }
    let terminal = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::End | StreamEvent::Error(_)))
        .count();
    assert_eq!(terminal, 1, "{name}: several terminal events");
    let usages: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, StreamEvent::Usage(_)))
        .map(|(i, _)| i)
        .collect();
    assert!(usages.len() <= 1, "{name}: several Usage events");
    if let Some(&i) = usages.first() {
        assert_eq!(i + 2, events.len(), "{name}: Usage is not right before End");
    }
}

#[test]
fn openai_streams() {
    run("openai");
}

#[test]
fn anthropic_streams() {
    run("anthropic");
}

/// A caller that did not ask for usage does not get the usage chunk; the rest is identical.
#[test]
fn openai_encoder_hides_usage_unless_asked() {
    let (_, bytes) = common::fixtures("streams/openai", "sse")
        .into_iter()
        .find(|(name, _)| name == "text")
        .unwrap();
    let events = common::decode_stream(&[&bytes], &mut ChatStreamDecoder::new());
    let with = common::encode_stream(&events, &mut ChatStreamEncoder::new("m", true));
    let without = common::encode_stream(&events, &mut ChatStreamEncoder::new("m", false));
    let usage_lines: Vec<&str> = with.lines().filter(|l| l.contains("\"usage\"")).collect();
    assert_eq!(usage_lines.len(), 1);
    assert_eq!(
        with.replace(&format!("{}\n\n", usage_lines[0]), ""),
        without
    );
}

/// Every inbound encoder's output goes through its own API's decoder back to the same
/// canonical events (ids and model aside), so the encoders write what the decoders — and the
/// SDKs they mirror — read.
#[test]
fn encoders_round_trip_through_their_decoders() {
    for api in ["openai", "anthropic"] {
        for (name, bytes) in common::fixtures(&format!("streams/{api}"), "sse") {
            let events = common::decode_stream(&[&bytes], decoder(api).as_mut());
            if events.iter().any(|e| matches!(e, StreamEvent::Error(_))) {
                continue;
            }
            let (openai, anthropic) = encode_both(&events);
            let via_openai =
                common::decode_stream(&[openai.as_bytes()], &mut ChatStreamDecoder::new());
            assert_eq!(
                strip(&via_openai, false),
                strip(&events, false),
                "{api}/{name} via OpenAI"
            );
            let via_anthropic =
                common::decode_stream(&[anthropic.as_bytes()], &mut MessagesStreamDecoder::new());
            assert_eq!(
                strip(&via_anthropic, true),
                strip(&events, true),
                "{api}/{name} via Anthropic"
            );
        }
    }
}

/// Events without the parts an encoding cannot carry: the start's identity (renamed by the
/// encoders); for OpenAI thinking signatures, which stop sequence matched and the cache-write
/// count; for Anthropic the refusal/text distinction and the reasoning token count.
#[cfg(test)]
fn strip(events: &[StreamEvent], anthropic: bool) -> Vec<StreamEvent> {
    events
        .iter()
        .filter(|e| anthropic || !matches!(e, StreamEvent::ThinkingSignature { .. }))
        .map(|e| match e {
            StreamEvent::Start { .. } => StreamEvent::Start {
                id: String::new(),
                model: String::new(),
                created: 0,
            },
            StreamEvent::RefusalDelta { choice, text } if anthropic => StreamEvent::TextDelta {
                choice: *choice,
                text: text.clone(),
            },
            StreamEvent::Usage(usage) if anthropic => StreamEvent::Usage(portcullis_llm::Usage {
                reasoning_tokens: 0,
                ..*usage
            }),
            StreamEvent::Usage(usage) if !anthropic => StreamEvent::Usage(portcullis_llm::Usage {
                cache_creation_input_tokens: 0,
                ..*usage
            }),
            StreamEvent::Finish {
                choice,
                reason: portcullis_llm::FinishReason::StopSequence { .. },
            } if !anthropic => StreamEvent::Finish {
                choice: *choice,
                reason: portcullis_llm::FinishReason::EndTurn,
            },
            other => other.clone(),
        })
        .collect()
}
