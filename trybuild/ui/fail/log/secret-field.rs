fn main() {
    let token = "t";
    octo_instrument::warn!("auth.refresh", user = "u", refresh_token = %token);
}
