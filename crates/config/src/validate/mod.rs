//! Raw sections → validated runtime types, applying defaults and recording every problem.

mod keys;
mod providers;
mod routes;
mod server;

use std::collections::HashMap;
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

/// Collects errors and warnings, filling in lines from the file's path → line index.
pub(crate) struct Ctx<'a> {
    lines: &'a HashMap<String, u32>,
    pub errors: &'a mut Vec<ConfigError>,
    pub warnings: Vec<ConfigError>,
}

impl Ctx<'_> {
    /// The line of `path`, or of its nearest written ancestor (a missing field points at the
    /// mapping that lacks it).
    fn line(&self, path: &str) -> Option<u32> {
        let mut current = path;
        loop {
            if let Some(line) = self.lines.get(current) {
                return Some(*line);
            }
            let cut = current.rfind(['.', '['])?;
            current = &current[..cut];
        }
    }

    /// Records an error at `path`.
    pub fn error(&mut self, path: &str, message: impl Into<String>) {
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
    lines: &HashMap<String, u32>,
    errors: &mut Vec<ConfigError>,
) -> Config {
    let mut ctx = Ctx {
        lines,
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
