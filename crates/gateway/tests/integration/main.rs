//! Integration tests: the whole data plane in-process, against programmable upstreams that
//! record what they received and count calls.

mod access;
mod passthrough;
mod resilience;
mod support;
mod translation;
