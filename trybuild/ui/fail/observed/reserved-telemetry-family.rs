// Every family the runtime exports is reserved, its own telemetry counters included: this name
// used to compile, and the family was then silently never exported (issue 10).
use octo_instrument::observed;

#[observed(event = "ui.fail.sampled", histogram = "octo_telemetry_sampled_out_total")]
fn clash() {}

fn main() { clash() }
