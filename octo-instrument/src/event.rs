//! Event names at run time: the same grammar `#[observed]` checks at compile time, for names
//! that only exist when the program runs.

/// Checks an event name against the grammar: two or more `.`-separated segments of
/// `[a-z][a-z0-9_]*`, at most 128 bytes, not ending in an outcome suffix. The same check
/// `#[observed]` makes when a crate compiles (`octo_instrument_core::event_name`).
///
/// ```
/// assert!(octo_instrument::event::validate("task.processing").is_ok());
/// let err = octo_instrument::event::validate("task.Processing").unwrap_err();
/// assert!(err.contains("`Processing`"));
/// ```
pub fn validate(name: &str) -> Result<(), String> {
    octo_instrument_core::event_name::check_observed(name).map_err(|err| err.to_string())
}

/// One event the binary contains (an `#[observed]` call site), with what its crate's catalog says
/// about it: what dashboards and alert rules are generated from.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EventInfo {
    /// The event name.
    pub name: &'static str,
    /// The catalog's description, where the crate has a catalog.
    pub description: Option<&'static str>,
    /// The catalog's P95 latency objective, milliseconds.
    pub slo_latency_p95_ms: Option<u64>,
    /// The catalog's error-ratio objective.
    pub slo_error_ratio: Option<f64>,
    /// The module of (the first) call site.
    pub module_path: &'static str,
    /// The extra `histogram`/`gauge` families its call sites feed.
    pub families: Vec<&'static str>,
}

/// Every `#[observed]` event linked into the binary, once each, sorted by name.
///
/// ```
/// #[octo_instrument::observed(event = "docs.listed_event")]
/// fn work() {}
///
/// let events = octo_instrument::event::all();
/// assert!(events.iter().any(|e| e.name == "docs.listed_event" && e.description.is_none()));
/// # let _ = work;
/// ```
pub fn all() -> Vec<EventInfo> {
    let mut events: Vec<EventInfo> = Vec::new();
    for site in crate::observe::site::all_sites() {
        let spec = &site.spec;
        let extra = [spec.families.histogram, spec.families.gauge]
            .into_iter()
            .flatten();
        if let Some(known) = events.iter_mut().find(|e| e.name == spec.event) {
            for family in extra {
                if !known.families.contains(&family) {
                    known.families.push(family);
                }
            }
            continue;
        }
        events.push(EventInfo {
            name: spec.event,
            description: spec.catalog.description,
            slo_latency_p95_ms: spec.catalog.objectives.latency_p95_ms,
            slo_error_ratio: spec.catalog.objectives.error_ratio,
            module_path: spec.module_path,
            families: extra.collect(),
        });
    }
    events.sort_by_key(|e| e.name);
    events
}
