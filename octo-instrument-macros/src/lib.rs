//! Procedural macros of [octo-instrument](https://docs.rs/octo-instrument). Depend on
//! `octo-instrument` and use them through it: the generated code names the runtime as
//! `::octo_instrument::__private`.

mod catalog;
mod diag;
mod event_name;
mod log_macro;
mod observable;
mod observed;
mod paths;
mod secret;

/// Observes a function: see `octo_instrument`'s documentation of `#[observed]`.
#[proc_macro_attribute]
pub fn observed(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    observed::expand(args.into(), item.into()).into()
}

/// Derives `octo_instrument::Observable` for a contract type: see `octo_instrument::contract`.
#[proc_macro_derive(Observable, attributes(observe))]
pub fn derive_observable(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => observable::derive(&input).into(),
        // Not even a type definition: rustc reports the syntax itself.
        Err(err) => err.to_compile_error().into(),
    }
}

macro_rules! log_macros {
    ($($(#[$doc:meta])* $name:ident => $kind:ident;)*) => {$(
        $(#[$doc])*
        #[proc_macro]
        pub fn $name(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
            log_macro::expand(log_macro::Kind::$kind, input.into()).into()
        }
    )*};
}

log_macros! {
    /// A `debug`-level log event with a checked name: see `octo_instrument::info!`.
    debug => Debug;
    /// An `info`-level log event with a checked name, as `info!("task.created", task_id = %id)`.
    info => Info;
    /// A `warning`-level log event with a checked name: see `octo_instrument::info!`.
    warn => Warn;
    /// An `error`-level log event with a checked name: see `octo_instrument::info!`.
    error => Error;
    /// A `critical`-level log event (an error-level `tracing` event): see `octo_instrument::info!`.
    critical => Critical;
}
