//! `#[derive(Observable)]`: an impl that hands each recorded field of a contract type to a
//! `Recorder`, renamed, redacted or skipped as its `#[observe(...)]` says. The same pipeline as
//! `#[observed]`: the attributes are read into a model (`attrs`, `model`), checked across fields
//! (`validate`), then expanded (`expand`).
//!
//! Every mistake is an error on the offending token, and the impl is emitted anyway (with an
//! empty body) so the rest of the crate still type-checks.

mod attrs;
mod expand;
mod model;
mod validate;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::diag::Diagnostics;

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut diag = Diagnostics::default();
    let contract = model::Contract::from_input(input, &mut diag);
    validate::check(&contract, &mut diag);
    let tokens = expand::impl_observable(&contract, diag.is_empty());
    diag.emit_with(tokens)
}
