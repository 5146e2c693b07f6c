//! `providers`: per-type defaults and checks.

use std::time::Duration;

use super::{Ctx, in_range};
use crate::raw::{ProviderType, RawProvider};
use crate::secret::Secret;
use crate::types::{Provider, ProviderKind, Server};
use crate::units::format_duration;
use crate::yaml::key_path;

/// Default Azure OpenAI `api-version`: the latest GA version of the data-plane inference API
/// (deployment-path style) at the time of writing.
pub const AZURE_API_VERSION: &str = "2024-10-21";
/// Default `anthropic-version` header.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Default `max_tokens` for providers that require one (Anthropic).
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
/// Default TCP + TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Base URL given to `mock` providers: never dialled.
pub const MOCK_BASE_URL: &str = "mock://";

impl ProviderType {
    /// Every type word, in documentation order.
    pub const ALL: [ProviderType; 14] = [
        Self::OpenAi,
        Self::Azure,
        Self::Anthropic,
        Self::Gemini,
        Self::Mock,
        Self::OpenAiCompatible,
        Self::Vllm,
        Self::Ollama,
        Self::Groq,
        Self::Mistral,
        Self::Deepseek,
        Self::Together,
        Self::Openrouter,
        Self::Lmstudio,
    ];

    /// The word written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Azure => "azure",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Mock => "mock",
            Self::OpenAiCompatible => "openai_compatible",
            Self::Vllm => "vllm",
            Self::Ollama => "ollama",
            Self::Groq => "groq",
            Self::Mistral => "mistral",
            Self::Deepseek => "deepseek",
            Self::Together => "together",
            Self::Openrouter => "openrouter",
            Self::Lmstudio => "lmstudio",
        }
    }

    /// The wire protocol.
    pub fn kind(self) -> ProviderKind {
        match self {
            Self::OpenAi => ProviderKind::OpenAi,
            Self::Azure => ProviderKind::Azure,
            Self::Anthropic => ProviderKind::Anthropic,
            Self::Gemini => ProviderKind::Gemini,
            Self::Mock => ProviderKind::Mock,
            Self::OpenAiCompatible
            | Self::Vllm
            | Self::Ollama
            | Self::Groq
            | Self::Mistral
            | Self::Deepseek
            | Self::Together
            | Self::Openrouter
            | Self::Lmstudio => ProviderKind::OpenAiCompatible,
        }
    }

    /// The preset name for presets of `openai_compatible`.
    pub fn preset(self) -> Option<&'static str> {
        (self.kind() == ProviderKind::OpenAiCompatible && self != Self::OpenAiCompatible)
            .then(|| self.as_str())
    }

    /// The documented public endpoint (OpenAI-style ones include `/v1`); `None` when the
    /// operator must give one (azure, openai_compatible).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => Some("https://api.openai.com/v1"),
            Self::Anthropic => Some("https://api.anthropic.com"),
            Self::Gemini => Some("https://generativelanguage.googleapis.com"),
            Self::Mock => Some(MOCK_BASE_URL),
            Self::Vllm => Some("http://localhost:8000/v1"),
            Self::Ollama => Some("http://localhost:11434/v1"),
            Self::Groq => Some("https://api.groq.com/openai/v1"),
            Self::Mistral => Some("https://api.mistral.ai/v1"),
            Self::Deepseek => Some("https://api.deepseek.com/v1"),
            Self::Together => Some("https://api.together.xyz/v1"),
            Self::Openrouter => Some("https://openrouter.ai/api/v1"),
            Self::Lmstudio => Some("http://localhost:1234/v1"),
            Self::Azure | Self::OpenAiCompatible => None,
        }
    }

    /// Whether the provider cannot work without `api_key`. Hosted presets (groq, ...) also
    /// need one, but the check stays with the upstream's 401 so self-hosted gateways in front
    /// of them can run without.
    pub fn requires_api_key(self) -> bool {
        matches!(
            self,
            Self::OpenAi | Self::Azure | Self::Anthropic | Self::Gemini
        )
    }

    /// The header that carries `api_key` upstream (lowercase).
    fn credential_header(self) -> Option<&'static str> {
        match self.kind() {
            ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => Some("authorization"),
            ProviderKind::Azure => Some("api-key"),
            ProviderKind::Anthropic => Some("x-api-key"),
            ProviderKind::Gemini => Some("x-goog-api-key"),
            ProviderKind::Mock => None,
        }
    }
}

/// Provider names: what routes and logs refer to; no `/` so `provider/model` stays unambiguous.
fn valid_provider_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'))
}

pub(super) fn providers(
    raw: &[(String, Option<RawProvider>)],
    server: &Server,
    ctx: &mut Ctx<'_>,
) -> Vec<Provider> {
    let mut out = Vec::with_capacity(raw.len());
    for (name, provider) in raw {
        let path = key_path("providers", name);
        if !valid_provider_name(name) {
            ctx.error(
                &path,
                format!(
                    "invalid provider name `{name}`: use lowercase letters, digits, `_`, `.` and `-`, \
                     starting with a letter or digit (no `/`)"
                ),
            );
        }
        if let Some(provider) = provider {
            out.push(provider_one(name, &path, provider, server, ctx));
        }
    }
    out
}

fn provider_one(
    name: &str,
    path: &str,
    raw: &RawProvider,
    server: &Server,
    ctx: &mut Ctx<'_>,
) -> Provider {
    let ty = raw.kind;
    let field = |f: &str| key_path(path, f);
    let only_for = |ctx: &mut Ctx<'_>, f: &str, present: bool, allowed: ProviderType| {
        if present && ty != allowed {
            ctx.error(
                &field(f),
                format!(
                    "`{f}` applies only to type {}, not {}",
                    allowed.as_str(),
                    ty.as_str()
                ),
            );
        }
    };
    only_for(
        ctx,
        "organization",
        raw.organization.is_some(),
        ProviderType::OpenAi,
    );
    only_for(ctx, "project", raw.project.is_some(), ProviderType::OpenAi);
    only_for(
        ctx,
        "api_version",
        raw.api_version.is_some(),
        ProviderType::Azure,
    );
    only_for(
        ctx,
        "version",
        raw.version.is_some(),
        ProviderType::Anthropic,
    );
    only_for(
        ctx,
        "default_max_tokens",
        raw.default_max_tokens.is_some(),
        ProviderType::Anthropic,
    );

    let base_url = match (&raw.base_url, ty) {
        (Some(_), ProviderType::Mock) => {
            ctx.error(
                &field("base_url"),
                "the mock provider is built in and takes no base_url",
            );
            MOCK_BASE_URL.to_owned()
        }
        (Some(url), _) => match check_url(url) {
            Ok(url) => url,
            Err(message) => {
                ctx.error(&field("base_url"), message);
                url.clone()
            }
        },
        (None, _) => match ty.default_base_url() {
            Some(url) => url.to_owned(),
            None => {
                let example = if ty == ProviderType::Azure {
                    "https://my-resource.openai.azure.com"
                } else {
                    "http://localhost:8000/v1"
                };
                ctx.error(
                    &field("base_url"),
                    format!(
                        "type {} needs a base_url (for example {example})",
                        ty.as_str()
                    ),
                );
                String::new()
            }
        },
    };

    let api_key = raw.api_key.clone();
    match &api_key {
        None if ty.requires_api_key() => ctx.error(
            &field("api_key"),
            format!(
                "type {} needs an api_key (for example api_key: ${{{}}})",
                ty.as_str(),
                match ty {
                    ProviderType::Azure => "AZURE_OPENAI_API_KEY",
                    ProviderType::Anthropic => "ANTHROPIC_API_KEY",
                    ProviderType::Gemini => "GEMINI_API_KEY",
                    _ => "OPENAI_API_KEY",
                }
            ),
        ),
        Some(_) if ty == ProviderType::Mock => {
            ctx.error(&field("api_key"), "the mock provider takes no api_key");
        }
        Some(key) if key.expose().trim().is_empty() => {
            ctx.error(
                &field("api_key"),
                "is empty (is the environment variable set but empty?)",
            );
        }
        Some(key) if key.expose().chars().any(|c| c.is_control() || c == ' ') => {
            ctx.error(
                &field("api_key"),
                "contains spaces or control characters (a stray newline?)",
            );
        }
        _ => {}
    }
    if api_key.is_some() && base_url.starts_with("http://") && !is_loopback_url(&base_url) {
        ctx.warn(
            &field("base_url"),
            "uses plain http to a non-local host: the api_key would cross the network unencrypted",
        );
    }

    let headers = headers(raw, ty, path, ctx);

    let connect_timeout = raw.connect_timeout.map_or(DEFAULT_CONNECT_TIMEOUT, |d| d.0);
    let show = |d: &Duration| format_duration(*d);
    in_range(
        ctx,
        &field("connect_timeout"),
        connect_timeout,
        Duration::from_millis(100),
        Duration::from_secs(300),
        show,
    );
    let timeout = raw.timeout.map_or(server.request_timeout, |d| d.0);
    if in_range(
        ctx,
        &field("timeout"),
        timeout,
        Duration::from_millis(100),
        Duration::from_secs(24 * 3600),
        show,
    ) && timeout > server.request_timeout
    {
        ctx.warn(
            &field("timeout"),
            format!(
                "is longer than server.request_timeout ({}), which ends calls first",
                format_duration(server.request_timeout)
            ),
        );
    }

    let api_version = (ty == ProviderType::Azure).then(|| {
        let version = raw
            .api_version
            .clone()
            .unwrap_or_else(|| AZURE_API_VERSION.to_owned());
        if !is_api_date(&version, true) {
            ctx.error(
                &field("api_version"),
                format!(
                    "{} is not an Azure api-version like {AZURE_API_VERSION} or 2025-04-01-preview",
                    ctx.show(&field("api_version"), &version)
                ),
            );
        }
        version
    });
    let anthropic_version = (ty == ProviderType::Anthropic).then(|| {
        let version = raw
            .version
            .clone()
            .unwrap_or_else(|| ANTHROPIC_VERSION.to_owned());
        if !is_api_date(&version, false) {
            ctx.error(
                &field("version"),
                format!(
                    "{} is not an anthropic-version like {ANTHROPIC_VERSION}",
                    ctx.show(&field("version"), &version)
                ),
            );
        }
        version
    });
    let max_tokens = raw
        .default_max_tokens
        .unwrap_or(u64::from(DEFAULT_MAX_TOKENS));
    in_range(
        ctx,
        &field("default_max_tokens"),
        max_tokens,
        1,
        1_000_000,
        |v| v.to_string(),
    );

    // Empty means "not sent", so `${OPENAI_ORG_ID:-}` works when the variable is unset.
    let mut optional_line = |f: &str, value: &Option<String>| {
        let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        if value.is_some_and(|v| v.contains(['\r', '\n'])) {
            ctx.error(&field(f), "must be a single line");
        }
        value.map(str::to_owned)
    };
    let organization = optional_line("organization", &raw.organization);
    let project = optional_line("project", &raw.project);

    Provider {
        name: name.to_owned(),
        kind: ty.kind(),
        base_url,
        api_key,
        organization,
        project,
        headers,
        connect_timeout,
        timeout,
        api_version,
        anthropic_version,
        default_max_tokens: u32::try_from(max_tokens).unwrap_or(DEFAULT_MAX_TOKENS),
        preset: ty.preset().map(str::to_owned),
    }
}

/// Headers the HTTP client owns; setting them by hand breaks framing or routing.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

fn headers(
    raw: &RawProvider,
    ty: ProviderType,
    path: &str,
    ctx: &mut Ctx<'_>,
) -> Vec<(String, Secret)> {
    let Some(map) = &raw.headers else {
        return Vec::new();
    };
    let mut out: Vec<(String, Secret)> = Vec::with_capacity(map.0.len());
    for (name, value) in &map.0 {
        let hpath = key_path(&key_path(path, "headers"), name);
        let lower = name.to_ascii_lowercase();
        let token = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            ctx.error(&hpath, format!("`{name}` is not a valid HTTP header name"));
        } else if RESERVED_HEADERS.contains(&lower.as_str()) {
            ctx.error(
                &hpath,
                format!("`{name}` is managed by the HTTP client and cannot be set"),
            );
        } else if raw.api_key.is_some() && ty.credential_header() == Some(lower.as_str()) {
            ctx.error(
                &hpath,
                format!(
                    "`{name}` carries the api_key for type {}: set one or the other",
                    ty.as_str()
                ),
            );
        } else if out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            ctx.error(
                &hpath,
                format!("header `{name}` is set twice (names are case-insensitive)"),
            );
        }
        // The value may be a secret: say what is wrong with it, never what it is.
        if value
            .expose()
            .bytes()
            .any(|b| b == b'\r' || b == b'\n' || b == 0)
        {
            ctx.error(
                &hpath,
                "the value contains a line break or NUL, which HTTP does not allow",
            );
        }
        out.push((lower, value.clone()));
    }
    out
}

/// `YYYY-MM-DD`, optionally followed by `-preview` when `preview_ok`.
fn is_api_date(text: &str, preview_ok: bool) -> bool {
    let date = if preview_ok {
        text.strip_suffix("-preview").unwrap_or(text)
    } else {
        text
    };
    let b = date.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

fn is_loopback_url(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    host == "localhost" || host.starts_with("127.") || url.contains("://[::1]")
}

/// Checks an upstream base URL: `http` or `https`, a host, no credentials, query or fragment.
/// Returns it without trailing `/` (clients append paths). Messages do not repeat the URL (it
/// may come from the environment; the error's path says which value is meant).
pub(crate) fn check_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim();
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err("is not a URL: write it like https://api.example.com/v1".to_owned());
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!("the scheme must be http or https, not `{scheme}`"));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(
            "the URL must not carry credentials (user:password@): use api_key or headers"
                .to_owned(),
        );
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("contains whitespace".to_owned());
    }
    if trimmed.contains(['?', '#']) {
        return Err("a base URL takes no query (?) or fragment (#)".to_owned());
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((host, port)) if port.is_empty() || port.starts_with(':') => {
                check_port(port.strip_prefix(':'))?;
                host
            }
            _ => return Err("malformed IPv6 host".to_owned()),
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        check_port(port)?;
        host
    };
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    Ok(trimmed.trim_end_matches('/').to_owned())
}

fn check_port(port: Option<&str>) -> Result<(), String> {
    match port {
        None => Ok(()),
        Some(p) if p.parse::<u16>().is_ok_and(|n| n > 0) => Ok(()),
        Some(_) => Err("the port must be a number from 1 to 65535".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            check_url("https://api.openai.com/v1/").unwrap(),
            "https://api.openai.com/v1"
        );
        assert_eq!(
            check_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            check_url("http://[::1]:9000/v1").unwrap(),
            "http://[::1]:9000/v1"
        );
        for bad in [
            "api.openai.com",
            "ftp://x.example",
            "https://",
            "https://u:p@x.example",
            "https://x.example/v1?a=b",
            "http://x.example:99999",
            "http://x.example:",
            "http://[::1",
            "https://x .example",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_and_dates() {
        assert!(valid_provider_name("azure-eu.2"));
        assert!(!valid_provider_name("Azure"));
        assert!(!valid_provider_name("a/b"));
        assert!(!valid_provider_name("-a"));
        assert!(!valid_provider_name(""));
        assert!(is_api_date("2024-10-21", false));
        assert!(is_api_date("2025-04-01-preview", true));
        assert!(!is_api_date("2025-04-01-preview", false));
        assert!(!is_api_date("v1", true));
    }

    #[test]
    fn presets_are_openai_compatible_with_urls() {
        for ty in ProviderType::ALL {
            if ty.preset().is_some() {
                assert_eq!(ty.kind(), ProviderKind::OpenAiCompatible);
                assert!(ty.default_base_url().is_some(), "{ty:?}");
            }
            if let Some(url) = ty.default_base_url().filter(|u| *u != MOCK_BASE_URL) {
                assert_eq!(check_url(url).unwrap(), url);
            }
        }
        assert_eq!(ProviderType::OpenAiCompatible.preset(), None);
        assert_eq!(ProviderType::Groq.preset(), Some("groq"));
    }
}
