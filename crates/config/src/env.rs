//! Environment variables: where `${NAME}` references in the file get their values.

use std::collections::HashMap;

/// A source of environment variables.
///
/// The loader asks it for every `${NAME}` in the file and [`crate::defaults`] asks it for the
/// provider keys it looks for. [`ProcessEnv`] reads the real environment; [`MapEnv`] is a fixed
/// map for tests and for callers that want to control exactly what is visible.
pub trait Env {
    /// The value of `name`, or `None` when unset (or not valid Unicode).
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment (`std::env::var`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables, for tests. Debug prints the names only, never the values.
#[derive(Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// An environment holding exactly `pairs`.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl std::fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.0.keys().collect();
        names.sort();
        f.debug_struct("MapEnv").field("names", &names).finish()
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// The result of expanding one string value.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Expanded {
    pub text: String,
    /// True when any part came from the environment: such text is treated as secret in
    /// error messages (we cannot know which variables hold credentials).
    pub from_env: bool,
}

/// Expands `${NAME}` and `${NAME:-default}` references and the `$$` escape in `input`.
///
/// `${NAME:-default}` uses the default when NAME is unset or empty (as the shell does). A `$`
/// not followed by `{` or `$` stays as it is. Fails with a message naming the variable (never
/// its value) when a variable without default is unset, or when a reference is malformed.
pub(crate) fn expand(input: &str, env: &dyn Env) -> Result<Expanded, String> {
    if !input.contains('$') {
        return Ok(Expanded {
            text: input.to_owned(),
            from_env: false,
        });
    }
    let mut out = String::with_capacity(input.len());
    let mut from_env = false;
    let mut rest = input;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_and_tail) = after.strip_prefix('{') {
            let Some(end) = body_and_tail.find('}') else {
                return Err("unterminated `${` (write `$$` for a literal dollar sign)".to_owned());
            };
            let body = &body_and_tail[..end];
            let (name, default) = match body.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (body, None),
            };
            if !is_var_name(name) {
                return Err(format!(
                    "invalid environment reference `${{{name}}}`: names are letters, digits and `_`, \
                     not starting with a digit"
                ));
            }
            let value = env.var(name);
            match (value, default) {
                (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
                (Some(v), _) => {
                    from_env = true;
                    out.push_str(&v);
                }
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "environment variable {name} is not set (use `${{{name}:-default}}` to give a default)"
                    ));
                }
            }
            rest = &body_and_tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(Expanded {
        text: out,
        from_env,
    })
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> MapEnv {
        MapEnv::from_pairs([("KEY", "sk-123"), ("EMPTY", ""), ("PORT", "9000")])
    }

    fn ok(input: &str) -> Expanded {
        expand(input, &env()).unwrap()
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(
            ok("hello"),
            Expanded {
                text: "hello".into(),
                from_env: false
            }
        );
        assert_eq!(
            ok("costs $5 a $"),
            Expanded {
                text: "costs $5 a $".into(),
                from_env: false
            }
        );
    }

    #[test]
    fn references_and_defaults() {
        assert_eq!(
            ok("${KEY}"),
            Expanded {
                text: "sk-123".into(),
                from_env: true
            }
        );
        assert_eq!(ok("127.0.0.1:${PORT}").text, "127.0.0.1:9000");
        assert_eq!(
            ok("${NOPE:-fallback}"),
            Expanded {
                text: "fallback".into(),
                from_env: false
            }
        );
        assert_eq!(ok("${EMPTY:-fallback}").text, "fallback");
        assert_eq!(ok("${EMPTY}").text, "");
        assert_eq!(ok("${NOPE:-}").text, "");
    }

    #[test]
    fn dollar_escape() {
        assert_eq!(ok("$${KEY}").text, "${KEY}");
        assert_eq!(ok("a$$b").text, "a$b");
    }

    #[test]
    fn errors_name_the_variable_not_a_value() {
        let err = expand("${MISSING}", &env()).unwrap_err();
        assert!(err.contains("MISSING is not set"), "{err}");
        assert!(
            expand("${KEY", &env())
                .unwrap_err()
                .contains("unterminated")
        );
        assert!(
            expand("${1X}", &env())
                .unwrap_err()
                .contains("invalid environment reference")
        );
        assert!(expand("${}", &env()).is_err());
    }

    #[test]
    fn map_env_debug_hides_values() {
        let debug = format!("{:?}", env());
        assert!(
            debug.contains("KEY") && !debug.contains("sk-123"),
            "{debug}"
        );
    }
}
