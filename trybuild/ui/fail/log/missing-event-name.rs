fn main() {
    octo_instrument::info!(task_id = 5, "task created");
}
