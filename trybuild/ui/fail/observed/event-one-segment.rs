// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "task")]
fn one_segment() {}

fn main() { one_segment() }
