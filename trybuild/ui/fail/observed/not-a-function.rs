use octo_instrument::observed;

#[observed(event = "ui.fail.struct")]
struct Task;

fn main() { let _ = Task; }
