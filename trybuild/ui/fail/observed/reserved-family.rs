// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.reserved", histogram = "errors_total")]
fn reserved_family() {}

fn main() { reserved_family() }
