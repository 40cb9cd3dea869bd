use octo_instrument::observed;

#[observed(event = "task.procesing")]
fn process() {}

fn main() { process() }
