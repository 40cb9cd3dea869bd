use octo_instrument::Observable;

#[derive(Observable)]
struct Job {
    name: String,
    queued_at: std::time::Instant,
}

fn main() {
    octo_instrument::record(&Job { name: String::new(), queued_at: std::time::Instant::now() });
}
