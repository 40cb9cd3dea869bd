// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "task.processing.completed")]
fn outcome_suffix() {}

fn main() { outcome_suffix() }
