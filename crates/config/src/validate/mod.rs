//! Raw sections → validated runtime types, applying defaults and recording every problem.

mod keys;
mod providers;
mod routes;
mod server;

use std::path::Path;

pub use keys::hash_api_key;
pub use providers::{
    ANTHROPIC_VERSION, AZURE_API_VERSION, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_TOKENS,
    MOCK_BASE_URL,
};
pub use server::{
    DEFAULT_BATCH_SIZE, DEFAULT_DATA_DIR, DEFAULT_FLUSH_INTERVAL, DEFAULT_LISTEN,
    DEFAULT_MAX_BODY_SIZE, DEFAULT_QUEUE_CAPACITY, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SHUTDOWN_GRACE,
};

use crate::error::ConfigError;
use crate::load::Parsed;
use crate::types::{Config, ConfigSource};
use crate::yaml::Index;

/// Collects errors and warnings, filling in lines from the file's path → line index.
pub(crate) struct Ctx<'a> {
    index: &'a Index,
    /// Entries dropped while reading (already reported): stay quiet about them and below.
    removed: &'a [String],
    pub errors: &'a mut Vec<ConfigError>,
    pub warnings: Vec<ConfigError>,
}

impl Ctx<'_> {
    /// The line of `path`, or of its nearest written ancestor (a missing field points at the
    /// mapping that lacks it).
    fn line(&self, path: &str) -> Option<u32> {
        let mut current = path;
        loop {
            if let Some(line) = self.index.lines.get(current) {
                return Some(*line);
            }
            let cut = current.rfind(['.', '['])?;
            current = &current[..cut];
        }
    }

    /// `value` quoted for a message about `path`, unless it came from the environment.
    pub fn show(&self, path: &str, value: &str) -> String {
        if self.index.from_env.contains(path) {
            "the value (from the environment, not shown)".to_owned()
        } else {
            format!("`{value}`")
        }
    }

    /// True when the entry at `path` (or one above it) was dropped as unreadable.
    pub fn already_reported(&self, path: &str) -> bool {
        self.removed.iter().any(|r| {
            path.strip_prefix(r.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
    }

    /// Records an error at `path` (unless that entry was already reported unreadable).
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
        if self.already_reported(path) {
            return;
        }
        let line = self.line(path);
        self.errors
            .push(ConfigError::new(path, message).at_line(line));
    }

    /// Records a warning at `path`.
    pub fn warn(&mut self, path: &str, message: impl Into<String>) {
        let line = self.line(path);
        self.warnings
            .push(ConfigError::new(path, message).at_line(line));
    }
}

/// Builds the runtime [`Config`] from parsed sections; problems go to `errors` (the returned
/// value is only meaningful when none were recorded).
pub(crate) fn build(
    parsed: Parsed,
    base_dir: &Path,
    source: ConfigSource,
    index: &Index,
    errors: &mut Vec<ConfigError>,
) -> Config {
    let mut ctx = Ctx {
        index,
        removed: &parsed.removed,
        errors,
        warnings: Vec::new(),
    };
    let server = server::server(&parsed.server, base_dir, &mut ctx);
    let database = server::database(&parsed.database, &server, base_dir, &mut ctx);
    let call_log = server::call_log(&parsed.call_log, &mut ctx);
    let admin = server::admin(&parsed.admin, &mut ctx);
    let providers = providers::providers(&parsed.providers, &server, &mut ctx);
    let known: Vec<&str> = parsed
        .providers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    let models = routes::routes(&parsed.models, &known, &mut ctx);
    let api_keys = keys::api_keys(&parsed.api_keys, &models, &mut ctx);
    let mut warnings = ctx.warnings;
    warnings.sort_by_key(|w| w.line.unwrap_or(u32::MAX));
    Config {
        server,
        translation: parsed.translation,
        database,
        call_log,
        admin,
        providers,
        models,
        api_keys,
        source,
        warnings,
    }
}

/// Checks that `value` lies in `min..=max`, recording an error in the caller's unit otherwise.
pub(crate) fn in_range<T: PartialOrd>(
    ctx: &mut Ctx<'_>,
    path: &str,
    value: T,
    min: T,
    max: T,
    show: impl Fn(&T) -> String,
) -> bool {
    if value < min || value > max {
        ctx.error(
            path,
            format!(
                "{} is out of range: allowed {} to {}",
                show(&value),
                show(&min),
                show(&max)
            ),
        );
        false
    } else {
        true
    }
}
