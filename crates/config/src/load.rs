//! Loading: file → YAML tree → `${ENV}` expansion → raw sections → validated [`Config`].

use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{ConfigError, ConfigErrors, did_you_mean};
use crate::raw::{
    RawAdmin, RawApiKey, RawCallLog, RawDatabase, RawModelRoute, RawProvider, RawServer,
};
use crate::types::{Config, ConfigSource, TranslationMode};
use crate::validate;
use crate::yaml::{self, Node, NodeKind, de::from_node, index_path, key_path};

/// Top-level sections, in documentation order. Kept equal to the fields of
/// [`crate::raw::RawConfig`] by a test.
pub(crate) const SECTIONS: &[&str] = &[
    "server",
    "translation",
    "database",
    "call_log",
    "admin",
    "providers",
    "models",
    "api_keys",
];

/// Largest configuration file accepted: far above any real one, low enough that a wrong path
/// (a log file, a disk image) fails fast instead of eating memory.
const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Reads, parses and validates the configuration file at `path`.
///
/// Relative paths in the file are taken relative to the file's directory. `${NAME}` references
/// are resolved from `env`. Fails with every problem found (unreadable file, YAML syntax,
/// unknown or mistyped fields, failed validation), each with its path and line.
pub fn load_file(path: &Path, env: &dyn Env) -> Result<Config, ConfigErrors> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| ConfigError::new("", format!("cannot read config file {shown}: {e}")))?;
    if metadata.len() > MAX_FILE_SIZE {
        return Err(ConfigError::new(
            "",
            format!(
                "config file {shown} is larger than {MAX_FILE_SIZE} bytes; is this the right file?"
            ),
        )
        .into());
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("", format!("cannot read config file {shown}: {e}")))?;
    let mut config = load_str(&text, &absolute, env)?;
    config.source = ConfigSource::File(absolute);
    Ok(config)
}

/// Parses and validates configuration text.
///
/// `origin` is the path the text is said to come from: relative paths in it (data_dir, SQLite
/// file) resolve against its directory. Fails like [`load_file`].
pub fn load_str(yaml: &str, origin: &Path, env: &dyn Env) -> Result<Config, ConfigErrors> {
    let mut root = yaml::parse(yaml)?;
    let mut errors = Vec::new();
    yaml::expand_env(&mut root, "", env, &mut errors);
    let mut lines = HashMap::new();
    yaml::index_lines(&root, "", &mut lines);

    let parsed = read_sections(&root, &mut errors);
    let base_dir = base_dir(origin);
    let source = ConfigSource::Inline {
        origin: origin.to_path_buf(),
    };
    let config = validate::build(parsed, &base_dir, source, &lines, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        errors.sort_by_key(|e| e.line.unwrap_or(u32::MAX));
        Err(ConfigErrors(errors))
    }
}

/// The directory relative paths resolve against: the origin's directory, made absolute.
fn base_dir(origin: &Path) -> PathBuf {
    let dir = origin.parent().unwrap_or(Path::new(""));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// What the sections held, each item parsed on its own. Items that failed are absent (their
/// errors are already recorded) but keep their position, so paths stay right.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub server: RawServer,
    pub translation: TranslationMode,
    pub database: RawDatabase,
    pub call_log: RawCallLog,
    pub admin: RawAdmin,
    /// (name, provider or `None` if it failed to parse). Names of failed providers still count
    /// as known, so routes naming them do not get a second, misleading error.
    pub providers: Vec<(String, Option<RawProvider>)>,
    /// (index in the file, route)
    pub models: Vec<(usize, RawModelRoute)>,
    /// (index in the file, key)
    pub api_keys: Vec<(usize, RawApiKey)>,
}

fn section<T: DeserializeOwned + Default>(
    node: &Node,
    path: &str,
    errors: &mut Vec<ConfigError>,
) -> T {
    item(node, path, errors).unwrap_or_default()
}

fn item<T: DeserializeOwned>(node: &Node, path: &str, errors: &mut Vec<ConfigError>) -> Option<T> {
    match from_node::<T>(node, path) {
        Ok(value) => Some(value),
        Err(e) => {
            errors.extend(e.into_config_error(path));
            None
        }
    }
}

fn read_sections(root: &Node, errors: &mut Vec<ConfigError>) -> Parsed {
    let mut parsed = Parsed::default();
    let entries = match &root.kind {
        NodeKind::Map(entries) => entries.as_slice(),
        _ if root.is_null() => &[],
        _ => {
            errors.push(
                ConfigError::new(
                    "",
                    format!(
                        "the file must be a mapping of sections ({}), found {}",
                        SECTIONS.join(", "),
                        root.kind_name()
                    ),
                )
                .at_line(Some(root.line)),
            );
            return parsed;
        }
    };
    let mut seen: Vec<(&str, u32)> = Vec::new();
    for (key, value) in entries {
        let Some(name) = key.key_text() else {
            errors.push(
                ConfigError::new("", "section names must be plain text").at_line(Some(key.line)),
            );
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            errors.push(
                ConfigError::new(
                    key_path("", name),
                    format!("section written twice (first at line {first})"),
                )
                .at_line(Some(key.line)),
            );
            continue;
        }
        seen.push((name, key.line));
        match name {
            "server" => parsed.server = section(value, name, errors),
            "translation" => parsed.translation = section(value, name, errors),
            "database" => parsed.database = section(value, name, errors),
            "call_log" => parsed.call_log = section(value, name, errors),
            "admin" => parsed.admin = section(value, name, errors),
            "providers" => parsed.providers = read_providers(value, errors),
            "models" => parsed.models = read_list(value, name, errors),
            "api_keys" => parsed.api_keys = read_list(value, name, errors),
            other => errors.push(
                ConfigError::new(
                    key_path("", other),
                    format!(
                        "unknown section `{other}`{}",
                        match did_you_mean(other, SECTIONS.iter().copied()) {
                            hint if hint.is_empty() =>
                                format!(" (known sections: {})", SECTIONS.join(", ")),
                            hint => hint,
                        }
                    ),
                )
                .at_line(Some(key.line)),
            ),
        }
    }
    parsed
}

fn read_providers(
    node: &Node,
    errors: &mut Vec<ConfigError>,
) -> Vec<(String, Option<RawProvider>)> {
    let entries = match &node.kind {
        NodeKind::Map(entries) => entries,
        _ if node.is_null() => return Vec::new(),
        _ => {
            errors.push(
                ConfigError::new(
                    "providers",
                    format!(
                        "expected a mapping of provider name → settings, found {}",
                        node.kind_name()
                    ),
                )
                .at_line(Some(node.line)),
            );
            return Vec::new();
        }
    };
    let mut out: Vec<(String, Option<RawProvider>)> = Vec::new();
    for (key, value) in entries {
        let Some(name) = key.key_text() else {
            errors.push(
                ConfigError::new("providers", "provider names must be plain text")
                    .at_line(Some(key.line)),
            );
            continue;
        };
        let path = key_path("providers", name);
        if out.iter().any(|(n, _)| n == name) {
            errors.push(
                ConfigError::new(path, format!("duplicate provider name `{name}`"))
                    .at_line(Some(key.line)),
            );
            continue;
        }
        let provider = item::<RawProvider>(value, &path, errors);
        out.push((name.to_owned(), provider));
    }
    out
}

/// Reads a list section item by item, keeping each item's index for paths.
fn read_list<T: DeserializeOwned>(
    node: &Node,
    name: &str,
    errors: &mut Vec<ConfigError>,
) -> Vec<(usize, T)> {
    let items = match &node.kind {
        NodeKind::Seq(items) => items,
        _ if node.is_null() => return Vec::new(),
        _ => {
            errors.push(
                ConfigError::new(
                    name,
                    format!(
                        "expected a list (`- ...` entries), found {}",
                        node.kind_name()
                    ),
                )
                .at_line(Some(node.line)),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, node) in items.iter().enumerate() {
        if let Some(value) = item::<T>(node, &index_path(name, i), errors) {
            out.push((i, value));
        }
    }
    out
}
