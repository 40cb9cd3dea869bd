//! A catalog's thresholds reach the rules exactly as the service exported them: `serde_json`
//! reads numbers with `float_roundtrip`, so a ratio written in its shortest round-trip form is the
//! same `f64` again (its default parser may land one unit in the last place off).

use octo_ops::{Options, ServiceCatalog, generate};

#[test]
fn objectives_are_read_back_exactly() {
    // Each of these comes back one unit in the last place off without `float_roundtrip`.
    for ratio in [
        "0.21291890726713458",
        "0.9856906946328695",
        "0.44166130716816643",
    ] {
        let catalog: ServiceCatalog = serde_json::from_str(&format!(
            r#"{{"service":"s","version":"1","http":false,"events":[
                {{"name":"task.execute","description":null,"slo_latency_p95_ms":null,
                  "slo_error_ratio":{ratio},"families":[]}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            catalog.events[0]
                .objectives
                .error_ratio
                .map(|r| r.to_string()),
            Some(ratio.to_owned())
        );
        let alerts = generate(&[catalog], &Options::new().target("s", "127.0.0.1:1"))
            .unwrap()
            .alerts;
        assert!(alerts.contains(&format!("(14.4 * {ratio})")), "{alerts}");
    }
}
