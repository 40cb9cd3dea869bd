use octo_instrument::{Observable, observed};

#[derive(Observable)]
struct Task { id: String }

#[observed(event = "task.processing", record(tsk))]
fn process(task: &Task) -> usize { task.id.len() }

fn main() { process(&Task { id: String::new() }); }
