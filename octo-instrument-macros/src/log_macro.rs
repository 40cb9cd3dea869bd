//! `info!("task.created", task_id = %id, priority = 5)` and its siblings: `tracing` events whose
//! name is checked like an `#[observed]` event's (grammar, catalog), and whose fields may not
//! carry a secret-named value.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

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

struct Input {
    event: LitStr,
    rest: TokenStream,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
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
            event,
            rest: input.parse()?,
        })
    }
}

pub(crate) fn expand(kind: Kind, tokens: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(tokens) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let mut errors = Vec::new();
    let mut track = quote!();
    match event_name::check_log_lit(&input.event) {
        Ok(_) => match catalog::check(&catalog::load(), &input.event) {
            Ok(checked) => track = checked.track,
            Err(err) => errors.push(err),
        },
        Err(err) => errors.push(err),
    }
    for (name, span) in secret::field_names(&input.rest) {
        if secret::looks_secret(&name) {
            errors.push(secret::field_list_error(&name, span));
        }
    }
    let p = crate::paths::private(None);
    let event = &input.event;
    let rest = &input.rest;
    let rest = if rest.is_empty() {
        quote!()
    } else {
        quote!(, #rest)
    };
    let (level, critical) = match kind {
        Kind::Debug => (quote!(DEBUG), quote!()),
        Kind::Info => (quote!(INFO), quote!()),
        Kind::Warn => (quote!(WARN), quote!()),
        Kind::Error => (quote!(ERROR), quote!()),
        // An error-level event underneath, so ordinary `tracing` filters treat it as one; the
        // log layer writes `"level":"critical"`.
        Kind::Critical => (quote!(ERROR), quote!(, octo.level = "critical")),
    };
    let errors = errors.iter().map(syn::Error::to_compile_error);
    quote! {{
        #(#errors)*
        #track
        #p::tracing::event!(
            target: #p::module_path!(),
            #p::tracing::Level::#level,
            event = #event #critical #rest
        )
    }}
}
