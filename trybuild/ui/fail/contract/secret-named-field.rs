use octo_instrument::Observable;

#[derive(Observable)]
struct LlmRequest {
    model: String,
    openai_api_key: String,
}

fn main() {
    octo_instrument::record(&LlmRequest { model: String::new(), openai_api_key: String::new() });
}
