use octo_instrument::Observable;

#[derive(Observable)]
struct Login {
    user: String,
    #[observe(redact, skip)]
    password: String,
}

fn main() {
    octo_instrument::record(&Login { user: String::new(), password: String::new() });
}
