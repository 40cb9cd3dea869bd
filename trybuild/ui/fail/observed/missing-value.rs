// A value missing before a comma is reported at that comma, not at the whole attribute.
use octo_instrument::observed;

#[observed(event = , level = debug)]
fn missing() {}

fn main() {
    missing();
}
