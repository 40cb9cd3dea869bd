use octo_instrument::observed;

#[observed(event = "ui.fail.body")]
fn f() -> u32 {
    let x: u32 = "not a number";
    x
}

fn main() { let _ = f(); }
