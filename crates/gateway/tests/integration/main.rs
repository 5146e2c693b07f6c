//! Integration tests: the whole data plane in-process, against programmable upstreams that
//! record what they received and count calls.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support code outside #[test] functions fails loudly by design"
)]

mod access;
mod passthrough;
mod reload;
mod resilience;
mod support;
mod translation;
