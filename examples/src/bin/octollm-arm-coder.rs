//! The coder arm service: `PORT` (8081).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    octo_instrument_examples::service::main(octo_instrument_examples::service::Role::ArmCoder)
}
