//! Turns a [`Plan`] into the instrumented function. No error paths: every decision was made in
//! `validate`.
//!
//! Shape of the output (sync case):
//!
//! ```text
//! fn f(args) -> R {
//!     static __OCTO_SITE: CallSite = call_site!(..);   // metadata + metric handles, once
//!     inventory::submit!(SiteRef(&__OCTO_SITE));       // known at start-up, exported at zero
//!     let mut __octo_call = ObservedCall::start(&__OCTO_SITE, span!(..));
//!     let __octo_output = __octo_call.run(move || { fake_return; { body } });
//!     __octo_call.finish(<error found by probing __octo_output>, <ret>);
//!     __octo_output
//! }
//! ```

use octo_instrument_core::event_name::{OUTCOME_SUFFIXES, line_name};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::item::ObservedFn;
use super::validate::{BucketPlan, Plan, Shape};

pub(crate) fn function(func: &ObservedFn, plan: &Plan) -> TokenStream {
    let p = &plan.private;
    let inner_attrs = &func.inner_attrs;
    let site = call_site(plan);
    let start = start_call(plan);
    let user_body = &func.body;
    let fake_return = fake_return(plan);
    // The user's tokens get a block of their own, so their `use` items and shadowing cannot
    // change what the generated code names, and ours cannot reach theirs.
    let body = quote!({ #fake_return { #user_body } });
    let finish = finish(plan);

    let run = match plan.shape {
        Shape::Sync => quote! {
            let __octo_output = __octo_call.run(move || #body);
            #finish
            __octo_output
        },
        Shape::Async => quote! {
            let __octo_output = __octo_call.run_async(async move #body).await;
            #finish
            __octo_output
        },
        Shape::ReturnsImplFuture | Shape::ReturnsBoxedFuture => {
            let observed = quote! {
                async move {
                    let mut __octo_call = __octo_call;
                    let __octo_output = __octo_call.run_async(__octo_future).await;
                    #finish
                    __octo_output
                }
            };
            let observed = if matches!(plan.shape, Shape::ReturnsBoxedFuture) {
                quote!(#p::Box::pin(#observed))
            } else {
                observed
            };
            quote! {
                let __octo_future = __octo_call.run(move || #body);
                #observed
            }
        }
    };

    func.with_body(quote! {
        #(#inner_attrs)*
        #site
        #start
        #run
    })
}

fn call_site(plan: &Plan) -> TokenStream {
    let p = &plan.private;
    let event = &plan.event;
    // The log lines' names, `<event>.<suffix>` with core's suffixes, as literals.
    let line = |suffix: &str| syn::LitStr::new(&line_name(&event.value(), suffix), event.span());
    let [started, completed, failed, panicked, cancelled, slow] = OUTCOME_SUFFIXES.map(line);
    let function = &plan.function;
    let level = plan.level.ident();
    let slow_ms = match plan.slow_ms {
        Some(ms) => quote!(#p::Some(#ms)),
        None => quote!(#p::None),
    };
    let buckets = match &plan.buckets {
        BucketPlan::Default => quote!(#p::None),
        // A `&'static [f64]` promoted into the call site's static, as a constant's would be.
        BucketPlan::List(bounds) => quote!(#p::Some(&[#(#bounds),*])),
    };
    let histogram = optional_str(p, plan.histogram.as_ref());
    let gauge = optional_str(p, plan.gauge.as_ref());
    let label_names = plan.labels.iter().map(super::args::Label::name);
    let max_series = optional(p, plan.max_series);
    let sample = optional(p, plan.sample);
    let description = optional(p, plan.catalog.description.as_deref());
    let slo_latency = optional(p, plan.catalog.objectives.latency_p95_ms);
    let slo_errors = optional(p, plan.catalog.objectives.error_ratio);
    let track = &plan.catalog.track;
    quote! {
        #track
        static __OCTO_SITE: #p::CallSite = #p::call_site!(
            event: #event,
            lines: #p::LineNames {
                started: #started,
                completed: #completed,
                failed: #failed,
                panicked: #panicked,
                cancelled: #cancelled,
                slow: #slow,
            },
            function: #function,
            level: #level,
            slow_ms: #slow_ms,
            buckets: #buckets,
            histogram: #histogram,
            gauge: #gauge,
            labels: [#(#label_names),*],
            max_series: #max_series,
            sample: #sample,
            description: #description,
            slo_latency_p95_ms: #slo_latency,
            slo_error_ratio: #slo_errors,
        );
        #p::inventory::submit! { #p::SiteRef(&__OCTO_SITE) }
    }
}

fn optional(p: &TokenStream, value: Option<impl quote::ToTokens>) -> TokenStream {
    match value {
        Some(value) => quote!(#p::Some(#value)),
        None => quote!(#p::None),
    }
}

fn optional_str(p: &TokenStream, lit: Option<&syn::LitStr>) -> TokenStream {
    match lit {
        Some(lit) => quote!(#p::Some(#lit)),
        None => quote!(#p::None),
    }
}

fn start_call(plan: &Plan) -> TokenStream {
    let p = &plan.private;
    let event = &plan.event;
    let level = plan.level.ident();
    let fields = plan.fields.as_ref().map(|fields| quote!(, #fields));
    // The code attributes (`code.function.name`, ..) come from the call site's statics, handed
    // to the trace pipeline as the span is made: no field to record per call.
    let span = quote! {
        #p::tracing::span!(
            target: #p::module_path!(),
            #p::tracing::Level::#level,
            #event
            #fields
        )
    };
    // Contract fields go on the span before `started` is logged, so every line has them.
    let records = plan
        .record
        .iter()
        .map(|name| quote_spanned!(name.span()=> #p::record_contract(&__octo_span, &#name);));
    // A closure: the runtime makes the span once it has told the trace pipeline whose it is.
    let span = quote! {
        || {
            let __octo_span = #span;
            #(#records)*
            __octo_span
        }
    };
    if plan.histogram.is_none() && plan.gauge.is_none() {
        quote! {
            let mut __octo_call = #p::ObservedCall::start(&__OCTO_SITE, #span);
        }
    } else {
        let count = plan.labels.len();
        let values = plan.labels.iter().map(|label| {
            let value = &label.value;
            quote_spanned!(value.span()=> &(#value))
        });
        // An annotated array, not `as` casts: the coercion keeps `trivial_casts` quiet in
        // users' crates (tests/tests/lints.rs).
        quote! {
            let mut __octo_call = {
                let __octo_labels: [&dyn #p::Display; #count] = [#(#values),*];
                #p::ObservedCall::start_labelled(&__OCTO_SITE, #span, &__octo_labels)
            };
        }
    }
}

/// Probes the output at this concrete call site (autoref specialisation needs the concrete
/// type), then hands the verdict to the runtime.
fn finish(plan: &Plan) -> TokenStream {
    let p = &plan.private;
    let ret = if plan.ret {
        quote!(#p::Some(&#p::tracing::field::debug(&__octo_output) as &dyn #p::tracing::Value))
    } else {
        quote!(#p::None)
    };
    quote! {
        {
            #[allow(unused_imports)]
            use #p::{ErrorProbe as _, NotAResult as _, ObservedErrorProbe as _, DisplayProbe as _, DebugProbe as _, OpaqueProbe as _, StdErrorSource as _, BoxedErrorSource as _, NoSource as _};
            #[allow(clippy::needless_borrow, clippy::ref_option_ref)]
            let __octo_failure = match (&&#p::Probe(&__octo_output)).__octo_error() {
                #p::Some(__octo_error) => #p::Some(
                    (&&&&#p::ErrProbe(__octo_error))
                        .__octo_describe()
                        .with_source((&&&#p::SourceProbe(__octo_error)).__octo_source()),
                ),
                #p::None => #p::None,
            };
            __octo_call.finish(__octo_failure, #ret);
        }
    }
}

/// `if false { let x: R = loop {}; return x; }`: gives the body's `return` and tail expression
/// the declared type to infer from (`.collect()`, `.into()`), and makes a mismatch point at the
/// user's return type. Spanned at the return type for that reason.
fn fake_return(plan: &Plan) -> TokenStream {
    let Some(ty) = &plan.fake_return else {
        return TokenStream::new();
    };
    let span = ty.span();
    quote_spanned! {span=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::needless_return
        )]
        if false {
            let __octo_fake_return: #ty = loop {};
            return __octo_fake_return;
        }
    }
}
