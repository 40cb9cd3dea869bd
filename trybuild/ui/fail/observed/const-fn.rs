use octo_instrument::observed;

#[observed(event = "ui.fail.const_fn")]
const fn f() -> u8 { 1 }

fn main() { let _ = f(); }
