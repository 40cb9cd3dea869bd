use octo_instrument::observed;

// Reported once, on the first name checked, not at every macro.
#[observed(event = "task.processing")]
fn process() {}

#[observed(event = "task.processing")]
fn process_again() {}

fn main() {
    process();
    process_again();
}
