//! The one place that decides how generated code names the runtime.

use proc_macro2::TokenStream;
use quote::quote;

/// `::octo_instrument::__private`, or `<crate = path>::__private` when the user renamed the
/// crate. Proc-macros cannot use `$crate`, so the path is absolute and overridable.
pub(crate) fn private(crate_path: Option<&syn::Path>) -> TokenStream {
    match crate_path {
        Some(path) => quote!(#path::__private),
        None => quote!(::octo_instrument::__private),
    }
}
