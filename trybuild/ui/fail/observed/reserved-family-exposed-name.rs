// A name can clash with a family the runtime exports without being equal to it: OpenMetrics
// names the counter `errors_total` family `errors`, and the runtime's histogram has the series
// `event_duration_seconds_count`. Each is an error that names the runtime's family.
use octo_instrument::observed;

#[observed(event = "ui.fail.errors", gauge = "errors")]
fn openmetrics_family() {}

#[observed(event = "ui.fail.count", histogram = "event_duration_seconds_count")]
fn series_of_the_runtime() {}

fn main() {
    openmetrics_family();
    series_of_the_runtime();
}
