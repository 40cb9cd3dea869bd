//! The contract type as the derive sees it: each field with its `#[observe(...)]` decision and
//! the name it is recorded under, keeping a reference to the original syntax so that later
//! phases point their errors at the exact token.

use proc_macro2::Span;
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields};

use super::attrs::{self, FieldAttrs, Mode};
use crate::diag::Diagnostics;

/// The type being derived.
pub(crate) struct Contract<'a> {
    pub(crate) input: &'a DeriveInput,
    /// `#[observe(crate = path)]` on the type.
    pub(crate) crate_path: Option<syn::Path>,
    pub(crate) shape: Shape<'a>,
}

pub(crate) enum Shape<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
    /// Not derivable; `validate` says why.
    Union(&'a syn::DataUnion),
}

pub(crate) struct Variant<'a> {
    pub(crate) original: &'a syn::Variant,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field, with its decision.
pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    /// `self.<member>` (a name, or a tuple index).
    pub(crate) member: syn::Member,
    /// The pattern binding of the field in an enum variant's match arm.
    pub(crate) binding: syn::Ident,
    /// The field's own name (`r#` removed), or its index.
    pub(crate) own_name: String,
    pub(crate) attrs: FieldAttrs,
}

impl Field<'_> {
    pub(crate) fn mode(&self) -> Mode {
        self.attrs.mode
    }

    /// The name the field is recorded under: `#[observe(name = ..)]`, else its own.
    pub(crate) fn name(&self) -> String {
        self.attrs
            .name
            .as_ref()
            .map_or_else(|| self.own_name.clone(), syn::LitStr::value)
    }

    /// Where the field is named: its identifier, or its type for a tuple field.
    pub(crate) fn span(&self) -> Span {
        self.original
            .ident
            .as_ref()
            .map_or_else(|| self.original.ty.span(), proc_macro2::Ident::span)
    }

    /// Where its recorded name comes from: the `name = ".."` literal, else the field.
    pub(crate) fn name_span(&self) -> Span {
        self.attrs
            .name
            .as_ref()
            .map_or_else(|| self.span(), syn::LitStr::span)
    }
}

impl<'a> Contract<'a> {
    /// Reads the type and every `#[observe(...)]` on it; syntax mistakes go into `diag`.
    pub(crate) fn from_input(input: &'a DeriveInput, diag: &mut Diagnostics) -> Self {
        let crate_path = attrs::container(&input.attrs, diag);
        let shape = match &input.data {
            Data::Struct(data) => Shape::Struct(fields(&data.fields, diag)),
            Data::Enum(data) => Shape::Enum(
                data.variants
                    .iter()
                    .map(|variant| Variant {
                        original: variant,
                        fields: fields(&variant.fields, diag),
                    })
                    .collect(),
            ),
            Data::Union(data) => Shape::Union(data),
        };
        Self {
            input,
            crate_path,
            shape,
        }
    }
}

fn fields<'a>(fields: &'a Fields, diag: &mut Diagnostics) -> Vec<Field<'a>> {
    fields
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let (member, own_name) = match &field.ident {
                Some(ident) => (
                    syn::Member::Named(ident.clone()),
                    syn::ext::IdentExt::unraw(ident).to_string(),
                ),
                None => (syn::Member::Unnamed(index.into()), index.to_string()),
            };
            Field {
                original: field,
                member,
                binding: format_ident!("__field_{}", index, span = field.ty.span()),
                own_name,
                attrs: attrs::field(field, diag),
            }
        })
        .collect()
}
