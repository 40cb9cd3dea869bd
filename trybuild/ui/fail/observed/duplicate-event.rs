use octo_instrument::observed;

#[observed(event = "ui.fail.a", event = "ui.fail.b")]
fn f() {}

fn main() { f() }
