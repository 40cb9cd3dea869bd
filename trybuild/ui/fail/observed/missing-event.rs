use octo_instrument::observed;

#[observed(level = "debug")]
fn f() {}

fn main() { f() }
