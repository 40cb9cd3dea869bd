// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.level", level = "loud")]
fn level() {}

fn main() { level() }
