// An argument the parser rejects does not hide the mistakes after it: the unknown argument and
// the bad event name are reported together, each on its own token.
use octo_instrument::observed;

#[observed(evnt = "ui.fail", event = "ui.Fail", slow_ms = 0)]
fn f() {}

fn main() { f() }
