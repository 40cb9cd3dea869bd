// A label name outside Prometheus' grammar is a compile error on the name, not a panic in every
// later `metrics::render()` (issue 9).
use octo_instrument::observed;

#[observed(event = "ui.fail.label_name", histogram = "sizes_seconds", labels(größe = size))]
fn measure(size: u32) { let _ = size; }

fn main() { measure(1) }
