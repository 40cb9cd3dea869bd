use octo_instrument::Observable;

#[derive(Observable)]
struct Task {
    #[observe(rename = "task.id")]
    task_id: String,
}

fn main() {
    // The impl is emitted anyway: the rest of the crate still type-checks.
    octo_instrument::record(&Task { task_id: String::new() });
}
