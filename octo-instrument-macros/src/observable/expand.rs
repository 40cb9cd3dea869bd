//! The `impl Observable`: each recorded field handed to the `Recorder` as its decision says, with
//! where-bounds only for the generic parameters a recorded field mentions. No error paths: the
//! checks ran before.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use super::attrs::Mode;
use super::model::{Contract, Field, Shape};

/// The impl; with `body: false` (the type had errors) a stub with an empty body, so the rest of
/// the crate still type-checks against `Observable`.
pub(crate) fn impl_observable(contract: &Contract<'_>, body: bool) -> TokenStream {
    let p = crate::paths::private(contract.crate_path.as_ref());
    let input = contract.input;
    let mut bounds = Bounds {
        params: input
            .generics
            .type_params()
            .map(|p| p.ident.clone())
            .collect(),
        predicates: Vec::new(),
    };
    let body = if body {
        recording(contract, &p, &mut bounds)
    } else {
        quote!()
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    predicates.extend(bounds.predicates);
    quote! {
        #[automatically_derived]
        impl #impl_generics #p::Observable for #ident #ty_generics where #(#predicates,)* {
            #[allow(unused_variables)]
            fn observe(&self, __recorder: &mut dyn #p::Recorder) {
                #body
            }
        }
    }
}

fn recording(contract: &Contract<'_>, p: &TokenStream, bounds: &mut Bounds) -> TokenStream {
    match &contract.shape {
        Shape::Struct(fields) => {
            let statements = fields.iter().map(|field| {
                let member = &field.member;
                // Spanned on the field's type, where a type that cannot be recorded is reported.
                let value = quote_spanned!(field.original.ty.span()=> &self.#member);
                record_statement(p, field, &value, bounds)
            });
            quote!(#(#statements)*)
        }
        Shape::Enum(variants) if variants.is_empty() => quote!(),
        Shape::Enum(variants) => {
            let arms = variants.iter().map(|variant| {
                let ident = &variant.original.ident;
                let name = ident.to_string();
                let bindings = variant.fields.iter().map(|field| {
                    let member = &field.member;
                    let binding = &field.binding;
                    if matches!(field.mode(), Mode::Skip | Mode::Redact) {
                        quote!(#member: _)
                    } else {
                        quote!(#member: #binding)
                    }
                });
                let statements: Vec<TokenStream> = variant
                    .fields
                    .iter()
                    .map(|field| {
                        let binding = &field.binding;
                        record_statement(p, field, &quote!(#binding), bounds)
                    })
                    .collect();
                quote! {
                    Self::#ident { #(#bindings,)* } => {
                        __recorder.record_str("variant", #name);
                        #(#statements)*
                    }
                }
            });
            quote!(match self { #(#arms)* })
        }
        Shape::Union(_) => quote!(),
    }
}

/// The statement recording one field; adds a where-predicate for field types that mention a
/// generic parameter (others are checked at the field itself, where the error is clearest).
fn record_statement(
    p: &TokenStream,
    field: &Field<'_>,
    value: &TokenStream,
    bounds: &mut Bounds,
) -> TokenStream {
    let name = field.name();
    let ty = &field.original.ty;
    let span = ty.span();
    let (statement, bound) = match field.mode() {
        Mode::Skip => return quote!(),
        Mode::Redact => return quote!(__recorder.record_redacted(#name);),
        Mode::Value => (
            quote_spanned!(span=> #p::record_field(#value, #name, __recorder);),
            quote!(#ty: #p::FieldValue),
        ),
        Mode::Display => (
            quote_spanned!(span=> __recorder.record_display(#name, #value);),
            quote!(#ty: #p::Display),
        ),
        Mode::Debug => (
            quote_spanned!(span=> __recorder.record_debug(#name, #value);),
            quote!(#ty: #p::Debug),
        ),
        Mode::Flatten => (
            quote_spanned!(span=> __recorder.record_nested(#name, #value);),
            quote!(#ty: #p::Observable),
        ),
    };
    if bounds.mentioned_in(ty) {
        bounds.predicates.push(bound);
    }
    statement
}

/// The type's generic parameters, and the bounds the recorded fields need of them: only the
/// parameters a recorded field mentions get one.
struct Bounds {
    params: Vec<syn::Ident>,
    predicates: Vec<TokenStream>,
}

impl Bounds {
    fn mentioned_in(&self, ty: &Type) -> bool {
        struct Finder<'a>(&'a [syn::Ident], bool);
        impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
            fn visit_type_path(&mut self, path: &'ast syn::TypePath) {
                if path.qself.is_none()
                    && let Some(first) = path.path.segments.first()
                    && self.0.contains(&first.ident)
                {
                    self.1 = true;
                }
                syn::visit::visit_type_path(self, path);
            }
        }
        let mut finder = Finder(&self.params, false);
        syn::visit::Visit::visit_type(&mut finder, ty);
        finder.1
    }
}
