// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.family", histogram = "task duration")]
fn bad_family() {}

fn main() { bad_family() }
