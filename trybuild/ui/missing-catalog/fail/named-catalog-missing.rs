// OCTO_EVENT_CATALOG names a file that does not exist (tests/missing_catalog.rs): an error at
// each event name, never a silent fall back to checking the grammar alone.
use octo_instrument::observed;

#[observed(event = "task.processing")]
fn process() {}

fn main() {
    process();
    octo_instrument::info!("task.created");
}
