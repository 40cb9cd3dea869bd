// `max_series` bounds the label sets of the extra families; without one it means nothing.
use octo_instrument::observed;

#[observed(event = "ui.fail.max_series", max_series = 10)]
fn bounded() {}

fn main() { bounded() }
