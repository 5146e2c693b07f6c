//! Integration tests: whole files through `load_str` / `load_file` / `defaults`.

// `cfg(test)` marks the helpers as test code for clippy (unwrap and panic are fine there).
#[cfg(test)]
mod common;
#[cfg(test)]
mod defaults;
#[cfg(test)]
mod docs;
#[cfg(test)]
mod example;
#[cfg(test)]
mod many_errors;
#[cfg(test)]
mod robustness;
#[cfg(test)]
mod rules;
#[cfg(test)]
mod secrets;
