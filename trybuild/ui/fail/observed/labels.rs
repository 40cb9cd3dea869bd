use octo_instrument::observed;

#[observed(event = "ui.fail.labels", labels(arm = "coder"))]
fn without_family() {}

#[observed(event = "ui.fail.family", histogram = "task duration")]
fn bad_family() {}

#[observed(event = "ui.fail.reserved", histogram = "errors_total")]
fn reserved_family() {}

#[observed(event = "ui.fail.service", gauge = "g", labels(service = "x"))]
fn reserved_label() {}

fn main() { without_family(); bad_family(); reserved_family(); reserved_label() }
