//! Recording a contract's fields on a span: as JSON fragments in the span's extensions, where the
//! log layer flattens them into every line inside the span, and as OpenTelemetry attributes.

use std::collections::HashSet;
use std::fmt::{Debug, Display};
use std::sync::{LazyLock, Mutex};

use tracing::Span;

use octo_instrument_core::families::signals;

use super::{Observable, REDACTED, Recorder};
use crate::encode::fields::Fields;
use crate::encode::json;
use crate::span_data::ContractFields;
use crate::trace::api::{self, Attr};

/// Records `value`'s contract fields on the current span: every log line inside it carries them
/// from here on, and the span has them as attributes.
///
/// ```
/// use octo_instrument::Observable;
///
/// #[derive(Observable)]
/// struct User { user_id: String }
///
/// let span = tracing::info_span!("request");
/// let _entered = span.enter();
/// octo_instrument::record(&User { user_id: "user-456".into() });
/// ```
pub fn record<T: Observable + ?Sized>(value: &T) {
    record_in(&Span::current(), value);
}

/// Records `value` on `span` (what `#[observed(record(arg))]` does with its call's span).
#[doc(hidden)]
pub fn record_in<T: Observable + ?Sized>(span: &Span, value: &T) {
    if span.is_disabled() {
        return;
    }
    let mut collected = Collected::default();
    value.observe(&mut collected);
    let cut = collected.fields.take_cut();
    if cut > 0 {
        crate::prom::truncated(signals::LOGS).inc_by(cut);
    }
    crate::span_data::with_span_ref(span, |span| {
        let mut extensions = span.extensions_mut();
        if let Some(ContractFields(fields)) = extensions.get_mut::<ContractFields>() {
            for (key, value) in collected.fields.iter() {
                fields.push_key(key, |out| out.push_str(value));
            }
        } else {
            extensions.insert(ContractFields(std::mem::take(&mut collected.fields)));
        }
    });
    let attributes: Vec<(&'static str, Attr<'_>)> = collected
        .attributes
        .iter()
        .map(|(key, value)| (*key, value.as_attr()))
        .collect();
    api::set_attributes(span, &attributes);
}

/// The fields `value` records, as `(name, JSON value)`: what a log line would show.
pub fn fields_of<T: Observable + ?Sized>(value: &T) -> Vec<(&'static str, String)> {
    let mut collected = Collected::default();
    value.observe(&mut collected);
    collected
        .fields
        .iter()
        .map(|(key, value)| (key, value.to_owned()))
        .collect()
}

/// Fields as the log layer stores them, plus the same values as span attributes.
#[derive(Default)]
struct Collected {
    fields: Fields,
    attributes: Vec<(&'static str, Owned)>,
}

/// An attribute value held until the span takes it.
enum Owned {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(String),
}

impl Owned {
    fn as_attr(&self) -> Attr<'_> {
        match self {
            Self::Int(v) => Attr::Int(*v),
            Self::Double(v) => Attr::Double(*v),
            Self::Bool(v) => Attr::Bool(*v),
            Self::Str(v) => Attr::Str(v),
        }
    }
}

impl Collected {
    fn attribute(&mut self, name: &'static str, value: Owned) {
        self.attributes.push((name, value));
    }
}

impl Recorder for Collected {
    fn record_str(&mut self, name: &'static str, value: &str) {
        self.fields.push_str(name, value);
        self.attribute(name, Owned::Str(value.to_owned()));
    }

    fn record_i64(&mut self, name: &'static str, value: i64) {
        self.fields
            .push_key(name, |out| json::write_i64(out, value));
        self.attribute(name, Owned::Int(value));
    }

    fn record_u64(&mut self, name: &'static str, value: u64) {
        self.fields
            .push_key(name, |out| json::write_u64(out, value));
        // Past `i64::MAX` the attribute (OTLP integers are signed) keeps the number as text,
        // as the native pipeline's own fields do, rather than a wrong number.
        match i64::try_from(value) {
            Ok(value) => self.attribute(name, Owned::Int(value)),
            Err(_) => self.attribute(name, Owned::Str(value.to_string())),
        }
    }

    fn record_f64(&mut self, name: &'static str, value: f64) {
        self.fields
            .push_key(name, |out| json::write_f64(out, value));
        self.attribute(name, Owned::Double(value));
    }

    fn record_bool(&mut self, name: &'static str, value: bool) {
        self.fields.push_key(name, |out| {
            out.push_str(if value { "true" } else { "false" });
        });
        self.attribute(name, Owned::Bool(value));
    }

    fn record_display(&mut self, name: &'static str, value: &dyn Display) {
        let text = value.to_string();
        self.record_str(name, &text);
    }

    fn record_debug(&mut self, name: &'static str, value: &dyn Debug) {
        let text = format!("{value:?}");
        self.record_str(name, &text);
    }

    fn record_redacted(&mut self, name: &'static str) {
        self.record_str(name, REDACTED);
    }

    fn as_dyn(&mut self) -> &mut dyn Recorder {
        self
    }
}

/// The recorder a flattened contract writes through: names become `prefix.name`.
pub(super) struct Prefixed<'a> {
    pub(super) prefix: &'static str,
    pub(super) inner: &'a mut dyn Recorder,
}

impl Prefixed<'_> {
    fn name(&self, name: &'static str) -> &'static str {
        intern(self.prefix, name)
    }
}

impl Recorder for Prefixed<'_> {
    fn record_str(&mut self, name: &'static str, value: &str) {
        let name = self.name(name);
        self.inner.record_str(name, value);
    }

    fn record_i64(&mut self, name: &'static str, value: i64) {
        let name = self.name(name);
        self.inner.record_i64(name, value);
    }

    fn record_u64(&mut self, name: &'static str, value: u64) {
        let name = self.name(name);
        self.inner.record_u64(name, value);
    }

    fn record_f64(&mut self, name: &'static str, value: f64) {
        let name = self.name(name);
        self.inner.record_f64(name, value);
    }

    fn record_bool(&mut self, name: &'static str, value: bool) {
        let name = self.name(name);
        self.inner.record_bool(name, value);
    }

    fn record_display(&mut self, name: &'static str, value: &dyn Display) {
        let name = self.name(name);
        self.inner.record_display(name, value);
    }

    fn record_debug(&mut self, name: &'static str, value: &dyn Debug) {
        let name = self.name(name);
        self.inner.record_debug(name, value);
    }

    fn record_redacted(&mut self, name: &'static str) {
        let name = self.name(name);
        self.inner.record_redacted(name);
    }

    fn as_dyn(&mut self) -> &mut dyn Recorder {
        self
    }
}

/// `prefix.name` as a `'static` string, allocated once per distinct name: a program has a fixed
/// set of contract types, so the set stays small.
fn intern(prefix: &str, name: &str) -> &'static str {
    static NAMES: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);
    let full = format!("{prefix}.{name}");
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(name) = names.get(full.as_str()) {
        return name;
    }
    let leaked: &'static str = Box::leak(full.into_boxed_str());
    names.insert(leaked);
    leaked
}
