//! Loading: file → YAML tree → `${ENV}` expansion → raw sections → validated [`Config`].

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{ConfigError, ConfigErrors, did_you_mean};
use crate::raw::{
    RawAdmin, RawApiKey, RawCallLog, RawConfig, RawDatabase, RawModelRoute, RawProvider, RawServer,
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
    let mut index = yaml::Index::default();
    yaml::index(&root, "", &mut index);

    let mut sink = Sink {
        errors,
        removed: Vec::new(),
    };
    let mut parsed = read_sections(&root, &mut sink);
    let mut errors = sink.errors;
    parsed.removed = sink.removed;
    let base_dir = base_dir(origin);
    let source = ConfigSource::Inline {
        origin: origin.to_path_buf(),
    };
    let config = validate::build(parsed, &base_dir, source, &index, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        errors.sort_by_key(|e| e.line.unwrap_or(u32::MAX));
        Err(ConfigErrors(errors))
    }
}

/// Parses the file as written into [`RawConfig`] in one go, `${ENV}` expanded, no defaults
/// and no validation. For tools that work on the file itself (diffs, formatting); stops at the
/// first error inside a section, so use [`load_str`] to check a file.
pub fn parse_raw(yaml: &str, env: &dyn Env) -> Result<RawConfig, ConfigErrors> {
    let mut root = yaml::parse(yaml)?;
    let mut errors = Vec::new();
    yaml::expand_env(&mut root, "", env, &mut errors);
    if !errors.is_empty() {
        return Err(ConfigErrors(errors));
    }
    from_node::<RawConfig>(&root, "").map_err(|e| {
        let error = e
            .into_config_error("")
            .unwrap_or_else(|| ConfigError::new("", "invalid configuration"));
        ConfigErrors(vec![error])
    })
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
    /// Paths of entries dropped because they could not be read (see [`Sink`]).
    pub removed: Vec<String>,
}

/// Where reading records problems. `removed` lists the paths of entries dropped after an
/// error, so validation does not report them a second time (as "missing", say).
#[derive(Default)]
pub(crate) struct Sink {
    pub errors: Vec<ConfigError>,
    pub removed: Vec<String>,
}

/// Upper bound on retries per item: each retry removes one entry, and items are small.
const MAX_RETRIES: usize = 64;

fn section<T: DeserializeOwned + Default>(node: &Node, path: &str, sink: &mut Sink) -> T {
    item(node, path, sink).unwrap_or_default()
}

/// Deserializes one item. Serde stops at the first error, so on an error inside a mapping we
/// record it, drop the offending entry and try again: one run reports every bad field of the
/// item, not just the first. Returns the item without the dropped entries when the rest is
/// valid (so validation can still check it), `None` when it cannot be read at all.
fn item<T: DeserializeOwned>(node: &Node, path: &str, sink: &mut Sink) -> Option<T> {
    let mut current = std::borrow::Cow::Borrowed(node);
    for _ in 0..MAX_RETRIES {
        let error = match from_node::<T>(&current, path) {
            Ok(value) => return Some(value),
            Err(error) => error,
        };
        let at = error.path().unwrap_or(path).to_owned();
        // A required field we removed ourselves: already reported under its own path.
        if sink.removed.contains(&at) {
            return None;
        }
        sink.errors.extend(error.into_config_error(path));
        match remove_entry(current.to_mut(), path, &at) {
            Some(removed) => sink.removed.push(removed),
            None => return None,
        }
    }
    None
}

/// Removes the mapping entry that holds the error at `target` (searching from `node` at
/// `path`) and returns its path; `None` when the error is not inside a removable entry (it is
/// about the mapping itself, or inside a list, whose indices must not shift).
fn remove_entry(node: &mut Node, path: &str, target: &str) -> Option<String> {
    let NodeKind::Map(entries) = &mut node.kind else {
        return None;
    };
    for i in 0..entries.len() {
        let child = key_path(path, entries[i].0.key_text().unwrap_or("?"));
        if child == target {
            entries.remove(i);
            return Some(child);
        }
        let inside = target
            .strip_prefix(child.as_str())
            .is_some_and(|rest| rest.starts_with(['.', '[']));
        if inside {
            return match remove_entry(&mut entries[i].1, &child, target) {
                Some(removed) => Some(removed),
                None => {
                    entries.remove(i);
                    Some(child)
                }
            };
        }
    }
    None
}

fn read_sections(root: &Node, sink: &mut Sink) -> Parsed {
    let mut parsed = Parsed::default();
    let entries = match &root.kind {
        NodeKind::Map(entries) => entries.as_slice(),
        _ if root.is_null() => &[],
        _ => {
            sink.errors.push(
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
            sink.errors.push(
                ConfigError::new("", "section names must be plain text").at_line(Some(key.line)),
            );
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            sink.errors.push(
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
            "server" => parsed.server = section(value, name, sink),
            "translation" => parsed.translation = section(value, name, sink),
            "database" => parsed.database = section(value, name, sink),
            "call_log" => parsed.call_log = section(value, name, sink),
            "admin" => parsed.admin = section(value, name, sink),
            "providers" => parsed.providers = read_providers(value, sink),
            "models" => parsed.models = read_list(value, name, sink),
            "api_keys" => parsed.api_keys = read_list(value, name, sink),
            other => sink.errors.push(
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

fn read_providers(node: &Node, sink: &mut Sink) -> Vec<(String, Option<RawProvider>)> {
    let entries = match &node.kind {
        NodeKind::Map(entries) => entries,
        _ if node.is_null() => return Vec::new(),
        _ => {
            sink.errors.push(
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
            sink.errors.push(
                ConfigError::new("providers", "provider names must be plain text")
                    .at_line(Some(key.line)),
            );
            continue;
        };
        let path = key_path("providers", name);
        if out.iter().any(|(n, _)| n == name) {
            sink.errors.push(
                ConfigError::new(path, format!("duplicate provider name `{name}`"))
                    .at_line(Some(key.line)),
            );
            continue;
        }
        let provider = item::<RawProvider>(value, &path, sink);
        out.push((name.to_owned(), provider));
    }
    out
}

/// Reads a list section item by item, keeping each item's index for paths.
fn read_list<T: DeserializeOwned>(node: &Node, name: &str, sink: &mut Sink) -> Vec<(usize, T)> {
    let items = match &node.kind {
        NodeKind::Seq(items) => items,
        _ if node.is_null() => return Vec::new(),
        _ => {
            sink.errors.push(
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
        if let Some(value) = item::<T>(node, &index_path(name, i), sink) {
            out.push((i, value));
        }
    }
    out
}
