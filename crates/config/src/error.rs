//! Configuration errors: each one names where it is (path and, when known, line) and what to do.

use std::fmt;

/// One problem found in a configuration file.
///
/// Produced by [`crate::load_file`] / [`crate::load_str`]; a load reports every problem it can
/// find at once, so a [`ConfigErrors`] usually holds several. Messages never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the problem is, e.g. `models[1].targets[0].provider` or `providers.openai.api_key`.
    /// Empty for problems with the whole file (unreadable file, YAML syntax).
    pub path: String,
    /// 1-based line in the file, when known.
    pub line: Option<u32>,
    /// What is wrong, written for the person editing the file.
    pub message: String,
}

impl ConfigError {
    /// Builds an error at `path` (line unknown).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// Sets the line.
    #[must_use]
    pub fn at_line(mut self, line: Option<u32>) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(file)"
        } else {
            self.path.as_str()
        };
        match self.line {
            Some(line) => write!(f, "{path} (line {line}): {}", self.message),
            None => write!(f, "{path}: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found while loading a configuration, in file order where known.
///
/// Display prints one problem per line (`path (line N): message`); never empty when returned
/// from a load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The problems, in the order reported.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many problems there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none (never the case for an error returned by a load).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        Self(vec![error])
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A "did you mean" hint: the candidate closest to `input` by edit distance, if close enough
/// to be a plausible typo (at most a third of the word, and at least one edit allowed).
pub(crate) fn suggest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| {
            (
                edit_distance(&input.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Formats `; did you mean "x"?` or nothing.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    suggest(input, candidates)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
/// since `nmae` for `name` is the most common typo. Inputs are short identifiers.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_one_per_line_with_optional_line() {
        let errors = ConfigErrors(vec![
            ConfigError::new("server.listen", "bad").at_line(Some(3)),
            ConfigError::new("", "broken file"),
        ]);
        assert_eq!(
            errors.to_string(),
            "server.listen (line 3): bad\n(file): broken file"
        );
    }

    #[test]
    fn suggestions_catch_typos_but_not_unrelated_words() {
        let fields = ["listen", "max_body_size", "request_timeout"];
        assert_eq!(suggest("lisen", fields), Some("listen"));
        assert_eq!(suggest("max_body_sise", fields), Some("max_body_size"));
        assert_eq!(suggest("colour", fields), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("nmae", "name"), 1);
    }
}
