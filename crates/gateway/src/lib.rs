//! The Portcullis data plane: the HTTP server, the per-request context, the ordered policy
//! chain, the upstream attempt loop, the streaming path and error rendering.
//!
//! The request path, in order: [`handler`] sets up the call; [`chain`] runs the request
//! policies; [`call`] prepares the body for each candidate target; [`upstream`] tries the
//! targets; [`chat`] / [`embeddings`] run the response phase; [`streaming`] runs the stream
//! phase; [`app`] ends the call (call log, metrics).

pub mod admin;
pub mod app;
mod call;
mod chain;
mod chat;
pub mod context;
mod embeddings;
pub mod error;
mod handler;
mod models;
mod ops;
pub mod reload;
pub mod server;
pub mod snapshot;
mod streaming;
mod upstream;

pub use app::App;
pub use server::{router, serve};
pub use snapshot::Snapshot;
