use octo_instrument::observed;

#[observed(event = "cache.lookup", sample = 1.5)]
fn lookup() {}

fn main() { lookup() }
