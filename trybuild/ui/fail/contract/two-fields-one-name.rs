use octo_instrument::Observable;

#[derive(Observable)]
struct Task {
    #[observe(name = "task.id")]
    id: String,
    #[observe(name = "task.id")]
    external_id: String,
}

fn main() {
    octo_instrument::record(&Task { id: String::new(), external_id: String::new() });
}
