// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.service", gauge = "g", labels(service = "x"))]
fn reserved_label() {}

fn main() { reserved_label() }
