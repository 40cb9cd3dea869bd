//! Procedural macros of [octo-instrument](https://docs.rs/octo-instrument). Depend on
//! `octo-instrument` and use them through it: the generated code names the runtime as
//! `::octo_instrument::__private`.

mod diag;
mod event_name;
mod observed;
mod paths;

/// Observes a function: see `octo_instrument`'s documentation of `#[observed]`.
#[proc_macro_attribute]
pub fn observed(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    observed::expand(args.into(), item.into()).into()
}
