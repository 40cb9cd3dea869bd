use octo_instrument::observed;

#[observed(event = "ui.fail.level", level = "loud")]
fn level() {}

#[observed(event = "ui.fail.slow", slow_ms = "5")]
fn slow() {}

#[observed(event = "ui.fail.buckets", buckets = [1.0, 0.5])]
fn buckets() {}

#[observed(event = "ui.fail.preset", buckets = fast)]
fn preset() {}

#[observed(event = "ui.fail.ret", ret = true)]
fn ret() {}

fn main() { level(); slow(); buckets(); preset(); ret() }
