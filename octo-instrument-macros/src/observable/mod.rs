//! `#[derive(Observable)]`: an impl that hands each recorded field of a contract type to a
//! `Recorder`, renamed, redacted or skipped as its `#[observe(...)]` says.
//!
//! Every mistake is an error on the offending token, and the impl is emitted anyway (with an
//! empty body) so the rest of the crate still type-checks.

mod attrs;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type};

use self::attrs::Mode;
use crate::paths;
use crate::secret;

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let mut errors = Vec::new();
    let crate_path = attrs::container(&input.attrs, &mut errors);
    let p = paths::private(crate_path.as_ref());
    let mut bounds = Generics {
        params: input
            .generics
            .type_params()
            .map(|p| p.ident.clone())
            .collect(),
        predicates: Vec::new(),
    };
    let body = match &input.data {
        Data::Struct(data) => {
            let fields = recorded_fields(&data.fields, &mut errors);
            let statements: Vec<TokenStream> = fields
                .iter()
                .map(|f| {
                    let member = &f.member;
                    // Spanned on the field's type, where a type that cannot be recorded is
                    // reported.
                    let value = quote_spanned!(f.ty.span()=> &self.#member);
                    record_statement(&p, f, &value, &mut bounds)
                })
                .collect();
            quote!(#(#statements)*)
        }
        Data::Enum(data) => {
            let arms: Vec<TokenStream> = data
                .variants
                .iter()
                .map(|variant| {
                    let ident = &variant.ident;
                    let name = ident.to_string();
                    let fields = recorded_fields(&variant.fields, &mut errors);
                    let bindings = fields.iter().map(|f| {
                        let member = &f.member;
                        let binding = &f.binding;
                        if f.mode == Mode::Skip || f.mode == Mode::Redact {
                            quote!(#member: _)
                        } else {
                            quote!(#member: #binding)
                        }
                    });
                    let statements: Vec<TokenStream> = fields
                        .iter()
                        .map(|f| {
                            let binding = &f.binding;
                            record_statement(&p, f, &quote!(#binding), &mut bounds)
                        })
                        .collect();
                    quote! {
                        Self::#ident { #(#bindings,)* } => {
                            __recorder.record_str("variant", #name);
                            #(#statements)*
                        }
                    }
                })
                .collect();
            if arms.is_empty() {
                quote!()
            } else {
                quote!(match self { #(#arms)* })
            }
        }
        Data::Union(data) => {
            errors.push(syn::Error::new(
                data.union_token.span,
                "`Observable` cannot be derived for a union: which field holds a value is not \
                 known; implement `octo_instrument::contract::Observable` by hand",
            ));
            quote!()
        }
    };
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut predicates: Vec<TokenStream> = where_clause
        .map(|w| w.predicates.iter().map(|p| quote!(#p)).collect())
        .unwrap_or_default();
    predicates.extend(bounds.predicates);
    let errors = errors.iter().map(syn::Error::to_compile_error);
    let body = if errors.len() == 0 { body } else { quote!() };
    quote! {
        #(#errors)*
        #[automatically_derived]
        impl #impl_generics #p::Observable for #ident #ty_generics where #(#predicates,)* {
            #[allow(unused_variables)]
            fn observe(&self, __recorder: &mut dyn #p::Recorder) {
                #body
            }
        }
    }
}

/// A field that the derive looked at, with its decision.
struct Recorded {
    member: syn::Member,
    binding: syn::Ident,
    name: String,
    mode: Mode,
    ty: Type,
}

fn recorded_fields(fields: &Fields, errors: &mut Vec<syn::Error>) -> Vec<Recorded> {
    let mut by_name: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let attrs = attrs::field(field, errors);
        let (member, default_name) = match &field.ident {
            Some(ident) => (
                syn::Member::Named(ident.clone()),
                syn::ext::IdentExt::unraw(ident).to_string(),
            ),
            None => (syn::Member::Unnamed(index.into()), index.to_string()),
        };
        let span = field
            .ident
            .as_ref()
            .map_or_else(|| field.ty.span(), proc_macro2::Ident::span);
        if field.ident.is_some()
            && secret::looks_secret(&default_name)
            // A flattened contract checks its own fields.
            && !matches!(attrs.mode, Mode::Redact | Mode::Skip | Mode::Flatten)
            && !is_redacted_type(&field.ty)
        {
            errors.push(syn::Error::new(
                span,
                format!(
                    "field `{default_name}` looks like it holds a secret; add \
                     `#[observe(redact)]` to record it as \"[REDACTED]\", or `#[observe(skip)]` \
                     to leave it out"
                ),
            ));
        }
        let name = attrs.name.as_ref().map_or(default_name, syn::LitStr::value);
        if attrs.mode != Mode::Skip {
            let name_span = attrs.name.as_ref().map_or(span, syn::LitStr::span);
            let field_name = field
                .ident
                .as_ref()
                .map_or_else(|| index.to_string(), ToString::to_string);
            if let Some(first) = by_name.insert(name.clone(), field_name) {
                errors.push(syn::Error::new(
                    name_span,
                    format!(
                        "field `{first}` is already recorded as `{name}`; give this one another \
                         name with `#[observe(name = \"...\")]`"
                    ),
                ));
            }
        }
        out.push(Recorded {
            member,
            binding: format_ident!("__field_{}", index, span = field.ty.span()),
            name,
            mode: attrs.mode,
            ty: field.ty.clone(),
        });
    }
    out
}

/// A field typed `Redacted<..>` needs no attribute: it cannot print its value.
fn is_redacted_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Redacted"))
}

/// The statement recording one field; adds a where-predicate for field types that mention a
/// generic parameter (others are checked at the field itself, where the error is clearest).
fn record_statement(
    p: &TokenStream,
    field: &Recorded,
    value: &TokenStream,
    bounds: &mut Generics,
) -> TokenStream {
    let name = &field.name;
    let ty = &field.ty;
    let span = ty.span();
    let (statement, bound) = match field.mode {
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
struct Generics {
    params: Vec<syn::Ident>,
    predicates: Vec<TokenStream>,
}

impl Generics {
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
