// The function is still emitted: `main` calls it without a second error.
use octo_instrument::observed;

#[observed(event = "ui.fail.ret", ret = true)]
fn ret() {}

fn main() { ret() }
