fn main() {
    octo_instrument::info!("task.creatd", priority = 5);
}
