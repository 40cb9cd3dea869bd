// Regression: a body that only diverges once inferred its output as `Result` from the outcome
// probe (`expected (), found Result`). The declared return type now pins it.
use octo_instrument::observed;

#[observed(event = "ui.pass.diverges")]
fn diverges() {
    panic!("always");
}

#[observed(event = "ui.pass.diverges_async")]
async fn diverges_async() -> u8 {
    panic!("always");
}

#[observed(event = "ui.pass.exits")]
fn exits() -> u8 {
    std::process::exit(0)
}

fn main() {
    let _ = std::panic::catch_unwind(diverges);
    drop(diverges_async());
    exits();
}
