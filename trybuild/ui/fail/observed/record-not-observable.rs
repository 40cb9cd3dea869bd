use octo_instrument::observed;

struct Task { id: String }

#[observed(event = "task.processing", record(task))]
fn process(task: &Task) -> usize { task.id.len() }

fn main() { process(&Task { id: String::new() }); }
