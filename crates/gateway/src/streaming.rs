//! The streaming path: upstream SSE in, the caller's SSE out, event by event.
//!
//! Same-API streams are forwarded event by event and only inspected (usage, errors, the end);
//! the usage chunk the gateway asked for on the caller's behalf is hidden if the caller did not
//! ask for it. Other streams go through a decoder (upstream API → canonical events) and an
//! encoder (canonical events → caller API). Either way the stream phase sees every event: it
//! records usage and the time to first byte, turns upstream failures (cut connection, idle
//! timeout, in-stream error, garbage) into an in-stream error in the caller's format, and ends
//! the call record when the stream ends — or when the caller goes away.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use portcullis_llm::sse::{SseDecoder, SseEvent, write_event};
use portcullis_llm::{ErrorKind, StreamDecoder, StreamEncoder, StreamEvent, Usage, WireApi};
use portcullis_providers::UpstreamBody;
use portcullis_telemetry::metrics::InflightGuard;
use tokio::time::{Instant, Sleep};

use crate::app::App;
use crate::call::Plan;
use crate::context::{InboundApi, RequestContext};

/// Ends a call exactly once: when the stream completes, fails, or is dropped because the caller
/// disconnected.
pub(crate) struct CallGuard {
    app: App,
    ctx: RequestContext,
    outcome: Option<(u16, Option<(&'static str, String)>)>,
    /// Keeps the call counted as in flight until the stream ends.
    _inflight: InflightGuard,
}

impl CallGuard {
    pub(crate) fn new(app: App, ctx: RequestContext, inflight: InflightGuard) -> CallGuard {
        CallGuard {
            app,
            ctx,
            outcome: None,
            _inflight: inflight,
        }
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        // No outcome: the body was dropped before the stream ended, i.e. the caller went away.
        // 499 is the conventional status for "client closed request".
        let (status, error) = self.outcome.take().unwrap_or((
            499,
            Some((
                "client_disconnected",
                "the caller closed the connection before the stream ended".to_string(),
            )),
        ));
        self.app.finish_call(&self.ctx, status, error);
    }
}

enum Mode {
    /// Same API: forward events, inspect them.
    Passthrough {
        wire: WireApi,
        client_wants_usage: bool,
    },
    /// Different APIs: decode, then encode.
    Translate {
        decoder: Box<dyn StreamDecoder>,
        encoder: Box<dyn StreamEncoder>,
    },
}

/// The body of a streamed chat response.
pub(crate) struct ChatStream {
    upstream: UpstreamBody,
    sse: SseDecoder,
    mode: Mode,
    api: InboundApi,
    guard: Option<CallGuard>,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    deadline: Pin<Box<Sleep>>,
    outcome: Outcome,
    finished: bool,
    events: Vec<StreamEvent>,
}

impl ChatStream {
    #[expect(
        clippy::too_many_arguments,
        reason = "a constructor wiring one stream's parts"
    )]
    pub(crate) fn new(
        upstream: UpstreamBody,
        api: InboundApi,
        wire: WireApi,
        plan: Plan,
        client_wants_usage: bool,
        model: &str,
        idle_timeout: Duration,
        deadline: Instant,
    ) -> ChatStream {
        let mode = match plan {
            Plan::Passthrough => Mode::Passthrough {
                wire,
                client_wants_usage,
            },
            Plan::Translate => Mode::Translate {
                decoder: decoder_for(wire, model),
                encoder: encoder_for(api, model, client_wants_usage),
            },
        };
        ChatStream {
            upstream,
            sse: SseDecoder::new(),
            mode,
            api,
            guard: None,
            idle_timeout,
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
            outcome: Outcome::default(),
            finished: false,
            events: Vec::new(),
        }
    }

    pub(crate) fn with_guard(mut self: Box<Self>, guard: CallGuard) -> Box<ChatStream> {
        self.guard = Some(guard);
        self
    }

    /// Handles the events decoded so far, appending what the caller gets to `out`.
    fn drain_events(&mut self, out: &mut Vec<u8>) {
        while !self.finished {
            let Some(event) = self.sse.next_event() else {
                break;
            };
            self.handle_event(&event, out);
        }
    }

    fn handle_event(&mut self, event: &SseEvent, out: &mut Vec<u8>) {
        match &mut self.mode {
            Mode::Passthrough {
                wire: WireApi::AnthropicMessages,
                ..
            } => {
                let info =
                    portcullis_llm::anthropic::inspect_event(event.event.as_deref(), &event.data);
                if let Some(usage) = &info.usage {
                    // `message_start` carries the input tokens, `message_delta` often only the
                    // output tokens: keep the largest of each count seen.
                    self.outcome.usage.get_or_insert_default().merge_max(usage);
                }
                write_event(out, event.event.as_deref(), &event.data);
                if let Some(error) = info.error {
                    self.outcome.error = Some(("upstream_stream_error", error.message));
                    self.finished = true;
                } else if info.done {
                    self.outcome.completed = true;
                    self.finished = true;
                }
            }
            Mode::Passthrough {
                client_wants_usage, ..
            } => {
                let info = portcullis_llm::openai::inspect_chunk(&event.data);
                if info.usage.is_some() {
                    self.outcome.usage = info.usage;
                }
                if info.usage_only && !*client_wants_usage {
                    return;
                }
                if info.usage.is_none()
                    && info.error.is_none()
                    && !info.done
                    && has_no_choices(&event.data)
                {
                    // Azure opens streams with a chunk of content-filter results and no choices;
                    // OpenAI's API has no such chunk, and clients that read `choices[0]` of every
                    // chunk would fail on it.
                    return;
                }
                write_event(out, event.event.as_deref(), &event.data);
                if let Some(error) = info.error {
                    self.outcome.error = Some(("upstream_stream_error", error.message));
                    self.finished = true;
                } else if info.done {
                    self.outcome.completed = true;
                    self.finished = true;
                }
            }
            Mode::Translate { decoder, encoder } => {
                self.events.clear();
                decoder.on_event(event, &mut self.events);
                self.outcome
                    .follow(&mut self.events, encoder.as_mut(), self.api, out);
                if self.outcome.completed || self.outcome.error.is_some() {
                    self.finished = true;
                }
            }
        }
    }

    /// The upstream body ended (cleanly or not).
    fn end_of_upstream(&mut self, out: &mut Vec<u8>, failure: Option<String>) {
        if let Some(last) = self.sse.finish() {
            self.handle_event(&last, out);
        }
        if self.finished {
            return;
        }
        if let Mode::Translate { decoder, encoder } = &mut self.mode
            && failure.is_none()
        {
            self.events.clear();
            decoder.on_eof(&mut self.events);
            self.outcome
                .follow(&mut self.events, encoder.as_mut(), self.api, out);
            if self.outcome.completed || self.outcome.error.is_some() {
                self.finished = true;
                return;
            }
        }
        let message = failure
            .unwrap_or_else(|| "the provider ended the stream before it was complete".to_string());
        self.fail(out, ErrorKind::Upstream, "upstream_stream_cut", message);
    }

    /// Ends the stream with an in-stream error in the caller's format.
    fn fail(&mut self, out: &mut Vec<u8>, kind: ErrorKind, label: &'static str, message: String) {
        let error = portcullis_llm::StreamError {
            kind,
            message: message.clone(),
        };
        match &mut self.mode {
            Mode::Translate { encoder, .. } => encoder.encode(&StreamEvent::Error(error), out),
            Mode::Passthrough { .. } => match self.api {
                InboundApi::AnthropicMessages => {
                    let body = portcullis_llm::anthropic::render_error(kind, &message);
                    write_event(out, Some("error"), &String::from_utf8_lossy(&body));
                }
                _ => {
                    let body = portcullis_llm::openai::render_error(kind, &message, None, None);
                    write_event(out, None, &String::from_utf8_lossy(&body));
                }
            },
        }
        self.outcome.error = Some((label, message));
        self.finished = true;
    }

    /// Records the outcome in the guard; the guard writes the call record when dropped.
    fn settle(&mut self) {
        if let Some(guard) = &mut self.guard {
            guard.ctx.usage = self.outcome.usage.or(guard.ctx.usage);
            guard.ctx.finish_reason = self.outcome.finish_reason.take();
            guard.ctx.upstream_elapsed = guard.ctx.upstream_started.map(|s| s.elapsed());
            guard.outcome = Some((200, self.outcome.error.take()));
        }
        // Dropping the guard now (not when hyper drops the body) records the call promptly.
        self.guard = None;
    }
}

/// Whether a chunk's `choices` is empty (`"choices":[]`, with or without a space). Chunks with
/// choices are the common case and are recognised without parsing.
fn has_no_choices(data: &str) -> bool {
    data.contains("\"choices\":[]") || data.contains("\"choices\": []")
}

/// Gives a stream start without a timestamp (Gemini sends none) the current time: the caller's
/// API has one.
fn stamp_created(event: &mut StreamEvent) {
    if let StreamEvent::Start { created, .. } = event
        && *created == 0
    {
        *created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    }
}

/// What the stream phase learns from the events it passes on.
#[derive(Default)]
struct Outcome {
    usage: Option<Usage>,
    /// The upstream signalled the end of the stream ([DONE], message_stop, a Gemini finish).
    completed: bool,
    error: Option<(&'static str, String)>,
    /// Why choice 0 stopped, in the caller's API's words.
    finish_reason: Option<String>,
}

impl Outcome {
    /// Follows translated events (usage, errors, completion, finish reason) and encodes them
    /// for the caller.
    fn follow(
        &mut self,
        events: &mut [StreamEvent],
        encoder: &mut dyn StreamEncoder,
        api: InboundApi,
        out: &mut Vec<u8>,
    ) {
        for event in events.iter_mut() {
            stamp_created(event);
            match &*event {
                StreamEvent::Usage(u) => self.usage = Some(*u),
                StreamEvent::Error(e) => {
                    self.error = Some(("upstream_stream_error", e.message.clone()));
                }
                StreamEvent::End => self.completed = true,
                StreamEvent::Finish { choice: 0, reason } => {
                    self.finish_reason = Some(crate::context::finish_label(api, reason));
                }
                _ => {}
            }
            encoder.encode(event, out);
        }
    }
}

fn decoder_for(wire: WireApi, model: &str) -> Box<dyn StreamDecoder> {
    match wire {
        WireApi::OpenAiChat => Box::new(portcullis_llm::openai::ChatStreamDecoder::new()),
        WireApi::AnthropicMessages => {
            Box::new(portcullis_llm::anthropic::MessagesStreamDecoder::new())
        }
        WireApi::GeminiGenerate => {
            Box::new(portcullis_llm::gemini::GenerateStreamDecoder::new(model))
        }
    }
}

fn encoder_for(api: InboundApi, model: &str, include_usage: bool) -> Box<dyn StreamEncoder> {
    match api {
        InboundApi::AnthropicMessages => {
            Box::new(portcullis_llm::anthropic::MessagesStreamEncoder::new(model))
        }
        _ => Box::new(portcullis_llm::openai::ChatStreamEncoder::new(
            model,
            include_usage,
        )),
    }
}

impl Body for ChatStream {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let mut out = Vec::new();
        while !this.finished {
            match Pin::new(&mut this.upstream).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers carry nothing for SSE
                    };
                    let now = Instant::now();
                    this.idle.as_mut().reset(now + this.idle_timeout);
                    if let Err(e) = this.sse.push(&data) {
                        this.fail(
                            &mut out,
                            ErrorKind::Upstream,
                            "upstream_malformed",
                            e.to_string(),
                        );
                        break;
                    }
                    this.drain_events(&mut out);
                    if !out.is_empty() {
                        break;
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    this.end_of_upstream(&mut out, Some(e.to_string()));
                    break;
                }
                Poll::Ready(None) => {
                    this.end_of_upstream(&mut out, None);
                    break;
                }
                Poll::Pending => {
                    if this.deadline.as_mut().poll(cx).is_ready() {
                        this.fail(
                            &mut out,
                            ErrorKind::Timeout,
                            "request_timeout",
                            "the stream took longer than the gateway's request timeout".to_string(),
                        );
                    } else if this.idle.as_mut().poll(cx).is_ready() {
                        this.fail(
                            &mut out,
                            ErrorKind::Timeout,
                            "upstream_timeout",
                            format!(
                                "the provider sent nothing for {}",
                                crate::error::humanize(this.idle_timeout)
                            ),
                        );
                    } else {
                        return Poll::Pending;
                    }
                    break;
                }
            }
        }
        if !out.is_empty()
            && let Some(guard) = &mut this.guard
        {
            if guard.ctx.ttfb.is_none() {
                guard.ctx.ttfb = Some(guard.ctx.started.elapsed());
            }
            *guard.ctx.response_bytes.get_or_insert(0) += out.len();
        }
        if this.finished && this.guard.is_some() {
            this.settle();
        }
        if out.is_empty() {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))))
    }

    fn is_end_stream(&self) -> bool {
        self.finished && self.guard.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
