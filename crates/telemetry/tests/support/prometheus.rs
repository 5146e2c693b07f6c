//! Reading samples back out of the Prometheus text exposition.

use std::collections::BTreeMap;

/// The value of the sample `name` whose label set is exactly `labels`, if rendered.
pub fn sample(rendered: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<&str, &str> = labels.iter().copied().collect();
    rendered.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, found) = match series.split_once('{') {
            Some((series_name, rest)) => (series_name, parse_labels(rest.strip_suffix('}')?)?),
            None => (series, BTreeMap::new()),
        };
        (series_name == name && found == wanted).then(|| value.parse().ok())?
    })
}

fn parse_labels(text: &str) -> Option<BTreeMap<&str, &str>> {
    // Test label values contain no commas or escaped quotes.
    text.split(',')
        .map(|pair| {
            let (key, value) = pair.split_once('=')?;
            Some((key, value.strip_prefix('"')?.strip_suffix('"')?))
        })
        .collect()
}
