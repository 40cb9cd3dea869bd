use octo_instrument::observed;

#[observed(event = "task.processing")]
fn process() {}

fn main() {
    process();
    octo_instrument::info!("task.created", priority = 5);
    let events = octo_instrument::event::all();
    let event = events.iter().find(|e| e.name == "task.processing").unwrap();
    assert_eq!(event.description, Some("Processing one task end to end"));
    assert_eq!(event.slo_latency_p95_ms, Some(5000));
    assert_eq!(event.slo_error_ratio, Some(0.01));
}
