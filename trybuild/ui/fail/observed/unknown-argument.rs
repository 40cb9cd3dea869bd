use octo_instrument::observed;

#[observed(event = "ui.fail.unknown", evnt = "x.y")]
fn f() {}

fn main() { f() }
