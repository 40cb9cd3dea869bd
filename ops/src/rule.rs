//! One generated alerting rule: what the per-service rules (`rules.rs`) and the objectives'
//! burn-rate alerts (`slo.rs`) both produce, and `alerts.yml` writes.

/// One generated alerting rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The alert's name.
    pub alert: String,
    /// Its PromQL expression.
    pub expr: String,
    /// How long the expression must hold.
    pub for_: &'static str,
    /// `warning` or `critical`.
    pub severity: &'static str,
    /// The `summary` annotation.
    pub summary: String,
    /// The `description` annotation.
    pub description: String,
}
