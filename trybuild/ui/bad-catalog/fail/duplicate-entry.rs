use octo_instrument::observed;

// A broken catalog vouches for no name: each one checked is an error. Reporting it once
// turned every later name into an accepted one in a long-lived expander (issue 10).
#[observed(event = "task.processing")]
fn process() {}

#[observed(event = "task.processing")]
fn process_again() {}

fn main() {
    process();
    process_again();
}
