fn main() {
    octo_instrument::info!("billing.invoice_sent");
}
