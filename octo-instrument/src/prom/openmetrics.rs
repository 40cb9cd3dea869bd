//! The OpenMetrics text format (`application/openmetrics-text; version=1.0.0`), which a scraper
//! asks for with its `Accept` header: the same families as the classic text, plus the exemplars
//! this process keeps. Exemplars go only on `_bucket` and `_total` samples: Prometheus before
//! 2.43 drops the whole scrape for an exemplar anywhere else.

use std::fmt::Write as _;

use prometheus::proto::{LabelPair, Metric, MetricFamily, MetricType};

use super::exemplars::{self, Exemplar};
use crate::encode::hex::ids_hex;
use octo_instrument_core::families::{COUNTER_SUFFIX, labels, series};

/// The `Content-Type` of the OpenMetrics exposition.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Whether an `Accept` header asks for OpenMetrics over the classic text: it names
/// `application/openmetrics-text` with a quality above the classic format's (Prometheus sends
/// `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,...`).
pub(crate) fn accepted(accept: &str) -> bool {
    let quality = |wanted: &str| {
        accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';').map(str::trim);
                let media = parts.next()?.to_ascii_lowercase();
                let q = parts
                    .find_map(|p| p.strip_prefix("q="))
                    .and_then(|q| q.parse::<f64>().ok())
                    .unwrap_or(1.0);
                (media == wanted).then_some(q)
            })
            .fold(None, |best: Option<f64>, q| {
                Some(best.map_or(q, |b| b.max(q)))
            })
    };
    // The classic text is what `text/plain`, `text/*` or `*/*` accept.
    let plain = ["text/plain", "text/*", "*/*"]
        .into_iter()
        .filter_map(quality)
        .fold(None, |best: Option<f64>, q| {
            Some(best.map_or(q, |b| b.max(q)))
        });
    match quality("application/openmetrics-text") {
        Some(q) if q > 0.0 => plain.is_none_or(|plain| q >= plain),
        _ => false,
    }
}

/// Encodes `families` (their labels already including `service`) as OpenMetrics, with the
/// exemplar of every bucket and counter series that has one, ending in `# EOF`.
pub(crate) fn encode(families: &[MetricFamily]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    for family in families {
        let name = family.name();
        let kind = family.get_field_type();
        // A counter's family is named without `_total`; its sample has it.
        let family_name = match kind {
            MetricType::COUNTER => name.strip_suffix(COUNTER_SUFFIX).unwrap_or(name),
            _ => name,
        };
        let type_name = match kind {
            MetricType::COUNTER => "counter",
            MetricType::GAUGE => "gauge",
            MetricType::HISTOGRAM => "histogram",
            MetricType::SUMMARY => "summary",
            MetricType::UNTYPED => "unknown",
        };
        let _ = writeln!(out, "# TYPE {family_name} {type_name}");
        out.push_str("# HELP ");
        out.push_str(family_name);
        out.push(' ');
        escape(&mut out, family.help());
        out.push('\n');
        for metric in family.get_metric() {
            match kind {
                MetricType::COUNTER => {
                    sample(
                        &mut out,
                        family_name,
                        COUNTER_SUFFIX,
                        metric.get_label(),
                        None,
                    );
                    number(&mut out, metric.get_counter().get_value());
                    let exemplar = exemplars::get(series(name, metric.get_label()));
                    finish(&mut out, exemplar);
                }
                MetricType::GAUGE => {
                    sample(&mut out, family_name, "", metric.get_label(), None);
                    number(&mut out, metric.get_gauge().get_value());
                    out.push('\n');
                }
                MetricType::HISTOGRAM => histogram(&mut out, family_name, metric),
                MetricType::SUMMARY => {
                    let summary = metric.get_summary();
                    for quantile in summary.get_quantile() {
                        let mut q = String::new();
                        number(&mut q, quantile.quantile());
                        sample(
                            &mut out,
                            family_name,
                            "",
                            metric.get_label(),
                            Some((labels::QUANTILE, &q)),
                        );
                        number(&mut out, quantile.value());
                        out.push('\n');
                    }
                    count_and_sum(
                        &mut out,
                        family_name,
                        metric,
                        summary.sample_count(),
                        summary.sample_sum(),
                    );
                }
                MetricType::UNTYPED => {
                    sample(&mut out, family_name, "", metric.get_label(), None);
                    // The only accessor this version of the crate has for an untyped value.
                    #[allow(deprecated)]
                    number(&mut out, metric.get_untyped().get_value());
                    out.push('\n');
                }
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

fn histogram(out: &mut String, family_name: &str, metric: &Metric) {
    let histogram = metric.get_histogram();
    let key = series(family_name, metric.get_label());
    let buckets = histogram.get_bucket();
    let mut bound = String::new();
    for (index, bucket) in buckets.iter().enumerate() {
        bound.clear();
        number(&mut bound, bucket.upper_bound());
        sample(
            out,
            family_name,
            series::BUCKET,
            metric.get_label(),
            Some((labels::LE, &bound)),
        );
        let _ = write!(out, "{}", bucket.cumulative_count());
        finish(out, exemplars::get(exemplars::bucket_key(key, index)));
    }
    sample(
        out,
        family_name,
        series::BUCKET,
        metric.get_label(),
        Some((labels::LE, "+Inf")),
    );
    let _ = write!(out, "{}", histogram.get_sample_count());
    finish(
        out,
        exemplars::get(exemplars::bucket_key(key, buckets.len())),
    );
    count_and_sum(
        out,
        family_name,
        metric,
        histogram.get_sample_count(),
        histogram.get_sample_sum(),
    );
}

fn count_and_sum(out: &mut String, family_name: &str, metric: &Metric, count: u64, sum: f64) {
    sample(out, family_name, series::COUNT, metric.get_label(), None);
    let _ = writeln!(out, "{count}");
    sample(out, family_name, series::SUM, metric.get_label(), None);
    number(out, sum);
    out.push('\n');
}

/// The series key exemplars are kept under: the family and its labels but `service`, by name.
fn series(family: &str, pairs: &[LabelPair]) -> u64 {
    let mut sorted: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|pair| pair.name() != labels::SERVICE)
        .map(|pair| (pair.name(), pair.value()))
        .collect();
    sorted.sort_unstable();
    exemplars::series_key(family, &sorted)
}

/// `name<suffix>{labels[,extra]} ` (the value follows).
fn sample(
    out: &mut String,
    family_name: &str,
    suffix: &str,
    pairs: &[LabelPair],
    extra: Option<(&str, &str)>,
) {
    out.push_str(family_name);
    out.push_str(suffix);
    let all = pairs
        .iter()
        .map(|pair| (pair.name(), pair.value()))
        .chain(extra);
    let mut first = true;
    for (name, value) in all {
        out.push(if first { '{' } else { ',' });
        first = false;
        label(out, name, value);
    }
    if !first {
        out.push('}');
    }
    out.push(' ');
}

fn label(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str("=\"");
    escape(out, value);
    out.push('"');
}

/// Ends a bucket or counter sample: ` # {trace_id="..",span_id=".."} value` where it has an
/// exemplar, then the line's end.
fn finish(out: &mut String, exemplar: Option<Exemplar>) {
    if let Some(exemplar) = exemplar {
        let (trace_id, span_id) = ids_hex(&exemplar.trace_id, exemplar.span_id);
        out.push_str(" # {trace_id=\"");
        out.push_str(std::str::from_utf8(&trace_id).unwrap_or_default());
        out.push_str("\",span_id=\"");
        out.push_str(std::str::from_utf8(&span_id).unwrap_or_default());
        out.push_str("\"} ");
        number(out, exemplar.value);
    }
    out.push('\n');
}

/// A sample value as OpenMetrics writes numbers: `+Inf`, `-Inf`, `NaN`, else the shortest
/// decimal that reads back as the same float.
fn number(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Label values and help: `\`, `"` and newlines escaped.
fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_accept_header_asks_for_openmetrics() {
        assert!(accepted(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
             version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(accepted("application/openmetrics-text"));
        assert!(!accepted("text/plain;version=0.0.4"));
        assert!(!accepted("*/*"));
        assert!(!accepted(""));
        assert!(!accepted("text/plain,application/openmetrics-text;q=0.5"));
        assert!(!accepted("application/openmetrics-text;q=0"));
        assert!(!accepted("application/openmetrics-text;q=0.9,*/*"));
    }
}
