//! Error helpers: every mistake becomes a `syn::Error` on the offending token, and the user's item
//! is given back alongside the errors so the IDE keeps working.

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects errors so that one expansion reports every mistake at once.
#[derive(Default)]
pub(crate) struct Diagnostics {
    error: Option<syn::Error>,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.error {
            Some(existing) => existing.combine(error),
            None => self.error = Some(error),
        }
    }

    pub(crate) fn spanned(&mut self, node: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(node, message));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// The tokens given back untouched, followed by the errors.
pub(crate) fn with_error(item: impl ToTokens, error: &syn::Error) -> TokenStream {
    let mut tokens = item.into_token_stream();
    tokens.extend(error.to_compile_error());
    tokens
}
