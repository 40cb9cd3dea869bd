//! The orchestrator service: `PORT` (8080), `ARM_CODER_URL` (`http://127.0.0.1:8081`),
//! `ARM_TIMEOUT_SECS` (10).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    octo_instrument_examples::service::main(octo_instrument_examples::service::Role::Orchestrator)
}
