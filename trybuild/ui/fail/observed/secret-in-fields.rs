use octo_instrument::observed;

#[observed(event = "user.login", fields(user = %user, password = %password))]
fn login(user: &str, password: &str) -> bool {
    user.len() + password.len() > 0
}

fn main() { login("a", "b"); }
