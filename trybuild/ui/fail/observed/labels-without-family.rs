// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.labels", labels(arm = "coder"))]
fn without_family() {}

fn main() { without_family() }
