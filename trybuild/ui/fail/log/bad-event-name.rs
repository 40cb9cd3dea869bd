fn main() {
    octo_instrument::info!("Task.created", priority = 5);
}
