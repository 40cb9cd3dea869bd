//! Semantic checks across the arguments and the function, producing a [`Plan`] in which every
//! decision is made, so that expansion has no error paths.

use proc_macro2::{Span, TokenStream};
use syn::{LitStr, ReturnType, Type};

use super::args::{Buckets, Label, Level, ObservedArgs};
use super::item::ObservedFn;
use octo_instrument_core::catalog::Objectives;
use octo_instrument_core::families::Kind;
use octo_instrument_core::{buckets, families, prometheus};

use crate::diag::Diagnostics;
use crate::{catalog, event_name, secret};

/// How the body is run, decided from the signature alone.
pub(crate) enum Shape {
    /// A plain function: the body runs in a closure whose result is inspected.
    Sync,
    /// An `async fn`: the body becomes an `async move` block that is awaited.
    Async,
    /// `fn .. -> impl Future`: the returned future is what is observed.
    ReturnsImplFuture,
    /// `fn .. -> Pin<Box<dyn Future ..>>` (what `#[async_trait]` produces): as above, boxed again.
    ReturnsBoxedFuture,
}

pub(crate) enum BucketPlan {
    Default,
    /// A list of the attribute's, or a preset's bounds as core has them: expansion writes them
    /// out, so it needs no path to a constant per preset.
    List(Vec<f64>),
}

#[derive(Default)]
pub(crate) struct CatalogPlan {
    pub(crate) description: Option<String>,
    pub(crate) objectives: Objectives,
    pub(crate) track: TokenStream,
}

pub(crate) struct Plan {
    pub(crate) private: TokenStream,
    pub(crate) event: LitStr,
    pub(crate) function: String,
    pub(crate) level: Level,
    pub(crate) fields: Option<TokenStream>,
    /// Arguments whose contract fields go on the call's span.
    pub(crate) record: Vec<syn::Ident>,
    pub(crate) ret: bool,
    pub(crate) slow_ms: Option<u64>,
    pub(crate) buckets: BucketPlan,
    pub(crate) histogram: Option<LitStr>,
    pub(crate) gauge: Option<LitStr>,
    pub(crate) labels: Vec<Label>,
    pub(crate) max_series: Option<usize>,
    pub(crate) sample: Option<f64>,
    /// The catalog's entry for the event, and the tokens that make cargo track the catalog.
    pub(crate) catalog: CatalogPlan,
    pub(crate) shape: Shape,
    /// The declared return type, for the fake return edge; `None` where it cannot be named
    /// (`impl Trait`).
    pub(crate) fake_return: Option<Type>,
}

/// Checks `args` against `func`, adding to `diag`, which holds the arguments' syntax errors.
pub(crate) fn plan(
    args: ObservedArgs,
    func: &ObservedFn,
    mut diag: Diagnostics,
) -> syn::Result<Plan> {
    if let Some(constness) = &func.sig.constness {
        diag.spanned(
            constness,
            "`#[observed]` cannot instrument a `const fn`: it records time and outcome at run \
             time; remove `const` or remove `#[observed]`",
        );
    }

    let mut catalog_plan = CatalogPlan::default();
    let event = match args.event.get() {
        Some(lit) => {
            match event_name::check_lit(lit) {
                Err(err) => diag.push(err),
                Ok(_) => catalog_plan = check_catalog(lit, &mut diag),
            }
            Some(lit.clone())
        }
        // An `event` whose value was in error has been reported already.
        None if args.wrote("event") => None,
        None => {
            diag.push(syn::Error::new(
                Span::call_site(),
                "missing `event`; write `#[observed(event = \"task.processing\")]`",
            ));
            None
        }
    };

    let slow_ms = args.slow_ms.get().map(|lit| {
        let value = lit.base10_parse::<u64>().unwrap_or(0);
        if value == 0 {
            diag.spanned(lit, "`slow_ms` must be at least 1");
        }
        value
    });

    let buckets = plan_buckets(args.buckets.get(), &mut diag);

    for (family, kind) in [
        (args.histogram.get(), Kind::Histogram),
        (args.gauge.get(), Kind::Gauge),
    ] {
        if let Some(family) = family {
            check_family_name(family, kind, event.as_ref(), &mut diag);
        }
    }
    // A family named with a value in error has been reported already: no second error saying
    // the attribute names none.
    let names_family = args.wrote("histogram") || args.wrote("gauge");
    if let (Some(h), Some(g)) = (args.histogram.get(), args.gauge.get())
        && h.value() == g.value()
    {
        diag.spanned(g, "`gauge` and `histogram` must name different families");
    }
    if let Some(labels) = args.labels.get() {
        if !names_family {
            diag.push(syn::Error::new(
                args.labels.span().unwrap_or_else(Span::call_site),
                "`labels(...)` label the extra families; add `histogram = \"..\"` or \
                 `gauge = \"..\"` (the event's own series are labelled by `event` and `outcome`)",
            ));
        }
        check_labels(labels, &mut diag);
    }
    if let Some(lit) = args.max_series.get()
        && !names_family
    {
        diag.spanned(
            lit,
            "`max_series` bounds the label sets of the extra families; add `histogram = \"..\"` \
             or `gauge = \"..\"` with `labels(...)`",
        );
    }

    if let Some(fields) = args.fields.get() {
        check_secret_fields(fields, &mut diag);
    }
    let record = args.record.take().unwrap_or_default();
    check_record(&record, func, &mut diag);

    diag.finish()?;
    let event = event.expect("checked above");
    Ok(Plan {
        private: crate::paths::private(args.crate_path.get()),
        event,
        function: func
            .sig
            .ident
            .to_string()
            .trim_start_matches("r#")
            .to_owned(),
        level: args.level.get().map_or(Level::Info, |(level, _)| *level),
        fields: args.fields.get().cloned(),
        record,
        ret: args.ret.get().is_some(),
        slow_ms,
        buckets,
        histogram: args.histogram.get().cloned(),
        gauge: args.gauge.get().cloned(),
        labels: args.labels.take().unwrap_or_default(),
        max_series: args
            .max_series
            .get()
            .and_then(|lit| lit.base10_parse::<usize>().ok()),
        sample: args.sample.get().map(|(value, _)| *value),
        catalog: catalog_plan,
        shape: shape(func),
        fake_return: fake_return(&func.sig.output),
    })
}

fn plan_buckets(buckets: Option<&Buckets>, diag: &mut Diagnostics) -> BucketPlan {
    match buckets {
        None => BucketPlan::Default,
        Some(Buckets::Preset(name, span)) => match buckets::preset(name) {
            Some(bounds) => BucketPlan::List(bounds.to_vec()),
            None => {
                diag.push(syn::Error::new(
                    *span,
                    format!(
                        "unknown bucket preset `{name}`; expected one of {}, or a list such as \
                         `[0.1, 0.5, 1.0]`",
                        buckets::preset_names()
                    ),
                ));
                BucketPlan::Default
            }
        },
        Some(Buckets::List(bounds, span)) => {
            check_bounds(bounds, *span, diag);
            BucketPlan::List(bounds.iter().map(|(b, _)| *b).collect())
        }
    }
}

/// The catalog's entry for `lit`, or the error that it has none.
fn check_catalog(lit: &LitStr, diag: &mut Diagnostics) -> CatalogPlan {
    let catalog = catalog::load();
    match catalog::check(&catalog, lit) {
        Ok(checked) => CatalogPlan {
            description: checked.entry.map(|e| e.description.clone()),
            objectives: checked.entry.map(|e| e.objectives).unwrap_or_default(),
            track: checked.track,
        },
        Err(err) => {
            diag.push(err);
            CatalogPlan::default()
        }
    }
}

fn check_secret_fields(fields: &TokenStream, diag: &mut Diagnostics) {
    for (name, span) in secret::field_names(fields) {
        if secret::looks_secret(&name) {
            diag.push(secret::field_list_error(&name, span));
        }
    }
}

/// Each name of `record(...)` must be an argument of the function.
fn check_record(record: &[syn::Ident], func: &ObservedFn, diag: &mut Diagnostics) {
    let parameters = parameter_names(func);
    let listed = parameters
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    for name in record {
        if !parameters.iter().any(|p| p == name) {
            let hint = if listed.is_empty() {
                String::new()
            } else {
                format!(" ({listed})")
            };
            diag.spanned(
                name,
                format!(
                    "`{name}` is not an argument of this function; `record(...)` takes argument \
                     names{hint}"
                ),
            );
        }
    }
}

/// The names an argument can be recorded by: simple identifier patterns, and `self`.
fn parameter_names(func: &ObservedFn) -> Vec<syn::Ident> {
    func.sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Receiver(receiver) => {
                Some(syn::Ident::new("self", receiver.self_token.span))
            }
            syn::FnArg::Typed(typed) => match &*typed.pat {
                syn::Pat::Ident(pat) => Some(pat.ident.clone()),
                _ => None,
            },
        })
        .collect()
}

fn check_bounds(bounds: &[(f64, Span)], list: Span, diag: &mut Diagnostics) {
    if bounds.is_empty() {
        diag.push(syn::Error::new(list, "`buckets` needs at least one bound"));
    }
    let mut previous: Option<f64> = None;
    for (bound, span) in bounds {
        if !bound.is_finite() || *bound <= 0.0 {
            diag.push(syn::Error::new(
                *span,
                "a bucket bound is a positive number of seconds",
            ));
        } else if previous.is_some_and(|p| *bound <= p) {
            diag.push(syn::Error::new(
                *span,
                "bucket bounds must be in strictly increasing order",
            ));
        }
        previous = Some(*bound);
    }
}

/// `event` is the attribute's event name, for the suggestion when the name is taken.
fn check_family_name(lit: &LitStr, kind: Kind, event: Option<&LitStr>, diag: &mut Diagnostics) {
    let name = lit.value();
    if !prometheus::is_metric_name(&name) {
        diag.spanned(
            lit,
            format!(
                "invalid metric family name {name:?}: Prometheus names match `{}`, as in \
                 \"task_duration_seconds\"",
                prometheus::METRIC_NAME_GRAMMAR
            ),
        );
    } else if let Some(clash) = families::clash(&name, kind) {
        let family = clash.family.name;
        let taken = if name == family {
            format!("`{name}` is a family octo-instrument exports itself")
        } else {
            format!(
                "`{name}` clashes with `{family}`, a family octo-instrument exports itself: \
                 both would expose the name `{}` (OpenMetrics names a counter's family without \
                 `_total`, and a histogram has `_bucket`, `_sum`, `_count` and `_created` series)",
                clash.shared
            )
        };
        let instead = match own_name(&name, kind, event) {
            Some(own) => format!("choose a name of its own, such as `{own}`"),
            None => "choose a name of its own, prefixed with your service or domain".to_owned(),
        };
        diag.spanned(lit, format!("{taken}; {instead}"));
    }
}

/// `name` prefixed with the first segment of the event (`task.processing`: `task_errors`), when
/// that makes a free family name; without `_total`, which only a counter ends in, and an extra
/// family is a histogram or a gauge.
fn own_name(name: &str, kind: Kind, event: Option<&LitStr>) -> Option<String> {
    let event = event?.value();
    octo_instrument_core::event_name::check_grammar(&event).ok()?;
    let domain = event.split('.').next()?;
    let name = name.strip_suffix(families::COUNTER_SUFFIX).unwrap_or(name);
    let own = format!("{domain}_{name}");
    (prometheus::is_metric_name(&own) && families::clash(&own, kind).is_none()).then_some(own)
}

fn check_labels(labels: &[Label], diag: &mut Diagnostics) {
    let mut seen: Vec<String> = Vec::new();
    for label in labels {
        // `r#type = ..` names the label `type`.
        let name = label.name();
        if !prometheus::is_label_name(&name) {
            diag.spanned(
                &label.key,
                format!(
                    "invalid label name `{name}`: Prometheus label names match `{}`, as in \
                     `priority`",
                    prometheus::LABEL_NAME_GRAMMAR
                ),
            );
        } else if prometheus::is_internal_label(&name) {
            diag.spanned(
                &label.key,
                "label names starting with `__` are reserved by Prometheus",
            );
        } else if families::RESERVED_LABELS.contains(&name.as_str()) {
            diag.spanned(
                &label.key,
                format!("`{name}` is a label octo-instrument sets itself; choose another name"),
            );
        }
        if seen.contains(&name) {
            diag.spanned(&label.key, format!("duplicate label `{name}`"));
        }
        seen.push(name);
    }
}

fn shape(func: &ObservedFn) -> Shape {
    if func.sig.asyncness.is_some() {
        return Shape::Async;
    }
    match &func.sig.output {
        ReturnType::Type(_, ty) if is_impl_future(ty) => Shape::ReturnsImplFuture,
        ReturnType::Type(_, ty) if is_boxed_future(ty) => Shape::ReturnsBoxedFuture,
        _ => Shape::Sync,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(path) if path.qself.is_none() => path.path.segments.last(),
        _ => None,
    }
}

fn bounds_name_future<'a>(mut bounds: impl Iterator<Item = &'a syn::TypeParamBound>) -> bool {
    bounds.any(|bound| match bound {
        syn::TypeParamBound::Trait(t) => {
            t.path.segments.last().is_some_and(|s| s.ident == "Future")
        }
        _ => false,
    })
}

fn is_impl_future(ty: &Type) -> bool {
    matches!(ty, Type::ImplTrait(imp) if bounds_name_future(imp.bounds.iter()))
}

/// `Pin<Box<dyn Future<..> + ..>>`, or the `futures` aliases `BoxFuture` / `LocalBoxFuture`.
fn is_boxed_future(ty: &Type) -> bool {
    let Some(segment) = last_segment(ty) else {
        return false;
    };
    if segment.ident == "BoxFuture" || segment.ident == "LocalBoxFuture" {
        return true;
    }
    if segment.ident != "Pin" {
        return false;
    }
    let Some(boxed) = single_type_arg(segment) else {
        return false;
    };
    let Some(box_segment) = last_segment(boxed) else {
        return false;
    };
    if box_segment.ident != "Box" {
        return false;
    }
    matches!(single_type_arg(box_segment), Some(Type::TraitObject(obj)) if bounds_name_future(obj.bounds.iter()))
}

fn single_type_arg(segment: &syn::PathSegment) -> Option<&Type> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        }),
        _ => None,
    }
}

fn fake_return(output: &ReturnType) -> Option<Type> {
    match output {
        // `()` too: a body that only diverges (`panic!`) would otherwise leave the output's type
        // to be inferred from the outcome probe, which picks `Result`.
        ReturnType::Default => Some(syn::parse_quote!(())),
        ReturnType::Type(_, ty) => {
            let mut finder = ImplTraitFinder(false);
            syn::visit::Visit::visit_type(&mut finder, ty);
            (!finder.0).then(|| (**ty).clone())
        }
    }
}

/// Finds `impl Trait` anywhere in a type: such a type cannot be written in a `let`.
struct ImplTraitFinder(bool);

impl syn::visit::Visit<'_> for ImplTraitFinder {
    fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
        self.0 = true;
    }
}
