// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.buckets", buckets = [1.0, 0.5])]
fn buckets() {}

fn main() { buckets() }
