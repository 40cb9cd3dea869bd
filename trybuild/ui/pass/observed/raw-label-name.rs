// `labels(r#type = ..)` names the label `type`, a valid Prometheus label, and the family is
// exported (issue 9: it used to make every `metrics::render()` panic).
use octo_instrument::observed;

#[observed(event = "ui.pass.raw_label", histogram = "kinds_seconds", labels(r#type = kind), max_series = 4)]
fn by_kind(kind: &str) { let _ = kind; }

fn main() {
    by_kind("a");
    let text = octo_instrument::metrics::render();
    assert!(text.contains(r#"kinds_seconds_count{service="#), "{text}");
    assert!(text.contains(r#"type="a"} 1"#), "{text}");
}
