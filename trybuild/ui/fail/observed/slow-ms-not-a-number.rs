// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.threshold", slow_ms = "5")]
fn slow() {}

fn main() { slow() }
