//! The one way the macros report mistakes: every mistake becomes a `syn::Error` on the offending
//! token, collected so that one expansion reports them all at once, and given back beside the
//! user's item (or a stub) so the IDE keeps working and nothing else cascades.

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

    /// Keeps the error of `result`, if any; its value otherwise.
    pub(crate) fn keep<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|err| self.push(err)).ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.error.is_none()
    }

    /// The collected errors, if there are any.
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.error.map_or(Ok(()), Err)
    }

    /// `tokens` followed by the collected errors (none: `tokens` alone).
    pub(crate) fn emit_with(self, tokens: impl ToTokens) -> TokenStream {
        match self.error {
            Some(error) => with_error(tokens, &error),
            None => tokens.into_token_stream(),
        }
    }
}

/// The tokens given back untouched, followed by the errors.
pub(crate) fn with_error(item: impl ToTokens, error: &syn::Error) -> TokenStream {
    let mut tokens = item.into_token_stream();
    tokens.extend(error.to_compile_error());
    tokens
}
