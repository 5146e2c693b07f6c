//! Telemetry for Portcullis: the call log sink and the Prometheus metrics.
//!
//! * [`CallLog`] — where the request path sends each finished call; a writer task batches the
//!   records into the store ([`CallLogWriter`] shuts it down and flushes).
//! * [`metrics`] — every metric name, its labels, and the functions that record them.
//! * [`format_calls_table`] — the call table `portcullis calls` prints.

mod call_log;
pub mod metrics;
mod table;

pub use call_log::{CallLog, CallLogOptions, CallLogStats, CallLogWriter};
pub use table::format_calls_table;
