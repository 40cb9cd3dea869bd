//! `info!("task.created", task_id = %id, priority = 5)` and its siblings: `tracing` events whose
//! name is checked like an `#[observed]` event's (grammar, catalog), and whose fields may not
//! carry a secret-named value. `info!(crate = my::octo, "task.created", ..)` names the runtime
//! where it was renamed or re-exported, as `#[observed(crate = ..)]` does.
//!
//! The same phases as the other macros: parse the input, check it (every mistake collected), then
//! expand; with mistakes the event is still emitted, so the surrounding code type-checks.

use octo_instrument_core::logs::{CRITICAL_FIELD, CRITICAL_LEVEL};
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

use crate::diag::Diagnostics;
use crate::{catalog, event_name, secret};

/// Which macro: its tracing level, and whether it is `critical!`.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Debug,
    Info,
    Warn,
    Error,
    Critical,
}

/// The parsed input: `[crate = path,] "event.name" [, fields]`.
struct Input {
    crate_path: Option<syn::Path>,
    event: LitStr,
    fields: TokenStream,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let crate_path = if input.peek(Token![crate]) && input.peek2(Token![=]) {
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            let path: syn::Path = input.parse()?;
            input.parse::<Token![,]>()?;
            Some(path)
        } else {
            None
        };
        let event: LitStr = input.parse().map_err(|err| {
            syn::Error::new(
                err.span(),
                "the event name comes first, as a string literal: \
                 `info!(\"task.created\", task_id = %id)`",
            )
        })?;
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        Ok(Self {
            crate_path,
            event,
            fields: input.parse()?,
        })
    }
}

pub(crate) fn expand(kind: Kind, tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut diag = Diagnostics::default();
    let track = check(&input, &mut diag);
    diag.emit_with(event(kind, &input, &track))
}

/// The checks: the name's grammar, the catalog, secret-named fields. Returns the tokens that make
/// cargo track the catalog.
fn check(input: &Input, diag: &mut Diagnostics) -> TokenStream {
    let mut track = quote!();
    if diag.keep(event_name::check_log_lit(&input.event)).is_some()
        && let Some(checked) = diag.keep(catalog::check(&catalog::load(), &input.event))
    {
        track = checked.track;
    }
    for (name, span) in secret::field_names(&input.fields) {
        if secret::looks_secret(&name) {
            diag.push(secret::field_list_error(&name, span));
        }
    }
    track
}

fn event(kind: Kind, input: &Input, track: &TokenStream) -> TokenStream {
    let p = crate::paths::private(input.crate_path.as_ref());
    let event = &input.event;
    let fields = &input.fields;
    let fields = if fields.is_empty() {
        quote!()
    } else {
        quote!(, #fields)
    };
    let (level, critical) = match kind {
        Kind::Debug => (quote!(DEBUG), quote!()),
        Kind::Info => (quote!(INFO), quote!()),
        Kind::Warn => (quote!(WARN), quote!()),
        Kind::Error => (quote!(ERROR), quote!()),
        // An error-level event underneath, so ordinary `tracing` filters treat it as one; the
        // log layer writes `"level":"critical"`. The field's name as a string literal, which
        // `tracing` takes for a dotted name.
        Kind::Critical => (quote!(ERROR), quote!(, #CRITICAL_FIELD = #CRITICAL_LEVEL)),
    };
    quote! {{
        #track
        #p::tracing::event!(
            target: #p::module_path!(),
            #p::tracing::Level::#level,
            event = #event #critical #fields
        )
    }}
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{Kind, expand};

    #[test]
    fn the_runtime_is_named_through_crate_when_given() {
        let tokens = expand(
            Kind::Info,
            quote!(crate = my::octo, "task.created", task_id = 1),
        )
        .to_string();
        assert!(
            tokens.contains("my :: octo :: __private :: tracing"),
            "{tokens}"
        );
        assert!(!tokens.contains(":: octo_instrument"), "{tokens}");
        let default = expand(Kind::Info, quote!("task.created")).to_string();
        assert!(
            default.contains(":: octo_instrument :: __private"),
            "{default}"
        );
    }

    #[test]
    fn every_mistake_is_reported_and_the_event_still_emitted() {
        let tokens = expand(
            Kind::Warn,
            quote!("Task.created", password = %p, api_key = 1),
        )
        .to_string();
        assert_eq!(tokens.matches("compile_error").count(), 3, "{tokens}");
        assert!(tokens.contains("tracing :: event !"), "{tokens}");
    }

    #[test]
    fn critical_marks_its_error_event_with_cores_field() {
        let tokens = expand(Kind::Critical, quote!("task.lost")).to_string();
        assert!(tokens.contains("Level :: ERROR"), "{tokens}");
        assert!(
            tokens.contains(r#", "octo.level" = "critical""#),
            "{tokens}"
        );
    }
}
