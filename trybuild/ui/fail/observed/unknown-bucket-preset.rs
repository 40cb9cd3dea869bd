// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.preset", buckets = fast)]
fn preset() {}

fn main() { preset() }
