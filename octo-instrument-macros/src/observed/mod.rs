//! `#[observed(...)]`: parse the arguments, validate them against the function, expand.

mod args;
mod expand;
mod item;
mod validate;

use proc_macro2::TokenStream;

use crate::diag;
use item::ObservedFn;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ObservedFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => return not_a_function(item, err),
    };
    // One collector from the first argument to the last check: every mistake is reported at once.
    let mut diag = diag::Diagnostics::default();
    let args = args::parse(args, &mut diag);
    match validate::plan(args, &func, diag) {
        Ok(plan) => expand::function(&func, &plan),
        // The function comes back un-instrumented beside the error, so its body still
        // type-checks and the IDE keeps completing inside it.
        Err(err) => diag::with_error(func.unchanged(), &err),
    }
}

/// Gives the tokens back untouched, with an error on the item's keyword when it parses as some
/// other item, or syn's own error when it does not parse at all.
fn not_a_function(item: TokenStream, err: syn::Error) -> TokenStream {
    let error = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(_)) | Err(_) => err,
        Ok(other) => {
            let (what, keyword) = item::describe_non_function(&other);
            syn::Error::new_spanned(
                keyword,
                format!("`#[observed]` goes on a function or method, not on {what}"),
            )
        }
    };
    diag::with_error(item, &error)
}
