//! The human-readable call table printed by `portcullis calls`.

use std::fmt::Write as _;

use portcullis_store::CallRecord;

const HEADERS: [&str; 8] = [
    "TIME (UTC)",
    "REQUEST ID",
    "KEY",
    "API",
    "MODEL → PROVIDER/UPSTREAM",
    "STATUS",
    "LATENCY",
    "TOKENS",
];

/// The longest a model cell gets before it is cut with `…`; request ids are never cut, so
/// they can be copied into a `--request-id` search.
const MODEL_CELL_MAX: usize = 64;

/// Renders `records` as an aligned text table, one call per line in the given order (the
/// store returns newest first), under a header line; no trailing newline.
///
/// Columns: start time (UTC, milliseconds), request id, key name, inbound API (with
/// `(stream)` for streamed calls), `model → provider/upstream model`, status (with the error
/// kind when there is one), total latency, and tokens as `prompt→completion` (with the cached
/// share). Missing values print as `-`. Control characters from caller-supplied values (model
/// names, request ids) print as `�`, so a record cannot rewrite the operator's terminal.
/// With no records, returns `No calls found.`.
pub fn format_calls_table(records: &[CallRecord]) -> String {
    if records.is_empty() {
        return "No calls found.".to_owned();
    }
    let rows: Vec<[String; 8]> = records.iter().map(row).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    push_line(&mut out, &HEADERS.map(str::to_owned), &widths);
    for row in &rows {
        out.push('\n');
        push_line(&mut out, row, &widths);
    }
    out
}

fn push_line(out: &mut String, cells: &[String; 8], widths: &[usize; 8]) {
    let last = cells.len() - 1;
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        out.push_str(cell);
        if i < last {
            let pad = width - cell.chars().count() + 2;
            out.extend(std::iter::repeat_n(' ', pad));
        }
    }
}

fn row(r: &CallRecord) -> [String; 8] {
    let api = if r.stream {
        format!("{} (stream)", r.inbound_api)
    } else {
        r.inbound_api.clone()
    };
    let status = match &r.error_kind {
        Some(kind) => format!("{} {kind}", r.status),
        None => r.status.to_string(),
    };
    [
        format_time(r.started_at),
        clean(&r.request_id),
        clean(r.key_name.as_deref().unwrap_or("-")),
        clean(&api),
        cut(&clean(&model_cell(r)), MODEL_CELL_MAX),
        clean(&status),
        format_duration_ms(r.latency_ms),
        tokens_cell(r),
    ]
}

fn model_cell(r: &CallRecord) -> String {
    let model = r.model.as_deref().unwrap_or("-");
    match (&r.provider, &r.upstream_model) {
        (Some(provider), Some(upstream)) => format!("{model} → {provider}/{upstream}"),
        (Some(provider), None) => format!("{model} → {provider}"),
        (None, _) => model.to_owned(),
    }
}

fn tokens_cell(r: &CallRecord) -> String {
    let (prompt, completion) = match (r.prompt_tokens, r.completion_tokens) {
        (None, None) => return "-".to_owned(),
        (p, c) => (
            p.map_or("-".to_owned(), |n| n.to_string()),
            c.map_or("-".to_owned(), |n| n.to_string()),
        ),
    };
    let mut cell = format!("{prompt}→{completion}");
    if let Some(cached) = r.cached_tokens.filter(|&n| n > 0) {
        let _ = write!(cell, " ({cached} cached)");
    }
    cell
}

/// `0.4ms`, `812ms`, `1.23s`, `2m05s`: precise where calls are fast (refusals and cache hits
/// take well under a millisecond), short where they are slow.
fn format_duration_ms(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        return "-".to_owned();
    }
    if ms < 9.95 {
        return format!("{ms:.1}ms");
    }
    if ms < 999.5 {
        return format!("{ms:.0}ms");
    }
    if ms < 60_000.0 {
        return format!("{:.2}s", ms / 1_000.0);
    }
    // Whole seconds from here; `as` saturates, and the value is finite and positive anyway.
    let secs = (ms / 1_000.0).round() as u64;
    format!("{}m{:02}s", secs / 60, secs % 60)
}

/// `2025-06-15 12:34:56.789` in UTC.
fn format_time(unix_ms: i64) -> String {
    let days = unix_ms.div_euclid(86_400_000);
    let ms_of_day = unix_ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1_000 % 60,
        ms_of_day % 1_000,
    );
    format!("{year:04}-{month:02}-{day:02} {h:02}:{m:02}:{s:02}.{ms:03}")
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01, by
/// counting 400-year eras from a March-based year (so the leap day ends each year).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

fn cut(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max_chars - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> CallRecord {
        CallRecord {
            request_id: "req-1".into(),
            started_at: 1_750_000_000_123,
            key_name: Some("team-a".into()),
            inbound_api: "openai.chat".into(),
            model: Some("gpt-4o".into()),
            provider: Some("openai".into()),
            upstream_model: Some("gpt-4o-2024-08-06".into()),
            status: 200,
            latency_ms: 812.4,
            prompt_tokens: Some(1200),
            completion_tokens: Some(310),
            cached_tokens: Some(1024),
            ..CallRecord::default()
        }
    }

    #[test]
    fn renders_aligned_columns_with_every_part_of_a_call() {
        let failed = CallRecord {
            request_id: "0192f0c1-7c2e-7000-8000-000000000001".into(),
            started_at: 1_750_000_061_000,
            key_name: None,
            inbound_api: "anthropic.messages".into(),
            model: Some("smart".into()),
            provider: Some("claude".into()),
            upstream_model: None,
            status: 504,
            error_kind: Some("upstream_timeout".into()),
            stream: true,
            latency_ms: 125_400.0,
            prompt_tokens: None,
            completion_tokens: None,
            cached_tokens: None,
            ..call()
        };
        let table = format_calls_table(&[call(), failed]);
        let expected = "\
TIME (UTC)               REQUEST ID                            KEY     API                          MODEL → PROVIDER/UPSTREAM          STATUS                LATENCY  TOKENS
2025-06-15 15:06:40.123  req-1                                 team-a  openai.chat                  gpt-4o → openai/gpt-4o-2024-08-06  200                   812ms    1200→310 (1024 cached)
2025-06-15 15:07:41.000  0192f0c1-7c2e-7000-8000-000000000001  -       anthropic.messages (stream)  smart → claude                     504 upstream_timeout  2m05s    -";
        assert_eq!(table, expected);
    }

    #[test]
    fn no_records_says_so() {
        assert_eq!(format_calls_table(&[]), "No calls found.");
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let hostile = CallRecord {
            model: Some("x\u{1b}[2J\ny".into()),
            ..call()
        };
        let table = format_calls_table(&[hostile]);
        assert!(!table.contains('\u{1b}'));
        assert_eq!(table.lines().count(), 2);
        assert!(table.contains("x\u{FFFD}[2J\u{FFFD}y → openai"));
    }

    #[test]
    fn long_models_are_cut_but_request_ids_are_not() {
        let long = CallRecord {
            request_id: "r".repeat(100),
            model: Some("m".repeat(100)),
            ..call()
        };
        let table = format_calls_table(&[long]);
        assert!(table.contains(&"r".repeat(100)));
        assert!(table.contains(&format!("{}…", "m".repeat(63))));
        assert!(!table.contains(&"m".repeat(64)));
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(format_duration_ms(0.04), "0.0ms");
        assert_eq!(format_duration_ms(0.4), "0.4ms");
        assert_eq!(format_duration_ms(9.94), "9.9ms");
        assert_eq!(format_duration_ms(9.96), "10ms");
        assert_eq!(format_duration_ms(999.4), "999ms");
        assert_eq!(format_duration_ms(999.6), "1.00s");
        assert_eq!(format_duration_ms(1_234.0), "1.23s");
        assert_eq!(format_duration_ms(59_990.0), "59.99s");
        assert_eq!(format_duration_ms(61_000.0), "1m01s");
        assert_eq!(format_duration_ms(f64::NAN), "-");
    }

    #[test]
    fn partial_token_counts_show_what_is_known() {
        let only_prompt = CallRecord {
            completion_tokens: None,
            cached_tokens: Some(0),
            ..call()
        };
        assert_eq!(tokens_cell(&only_prompt), "1200→-");
    }

    #[test]
    fn dates_convert_across_eras_leap_days_and_the_epoch() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000");
        assert_eq!(format_time(-1), "1969-12-31 23:59:59.999");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00:00.000");
        assert_eq!(format_time(4_107_542_399_999), "2100-02-28 23:59:59.999");
        assert_eq!(format_time(4_107_542_400_000), "2100-03-01 00:00:00.000");
        assert_eq!(format_time(1_709_164_800_000), "2024-02-29 00:00:00.000");
    }
}
