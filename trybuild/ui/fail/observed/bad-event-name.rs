use octo_instrument::observed;

#[observed(event = "task.Processing")]
fn upper() {}

#[observed(event = "task")]
fn one_segment() {}

#[observed(event = "task.processing.completed")]
fn outcome_suffix() {}

fn main() { upper(); one_segment(); outcome_suffix() }
