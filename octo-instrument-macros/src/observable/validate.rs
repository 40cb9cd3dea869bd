//! Checks across the fields of a contract type: secrets recorded in the clear, two fields under
//! one name, a union. Every mistake is an error on the field (or the name) at fault.

use std::collections::BTreeMap;

use syn::Type;

use super::attrs::Mode;
use super::model::{Contract, Field, Shape};
use crate::diag::Diagnostics;
use crate::secret;

pub(crate) fn check(contract: &Contract<'_>, diag: &mut Diagnostics) {
    match &contract.shape {
        Shape::Struct(fields) => check_fields(fields, diag),
        Shape::Enum(variants) => {
            for variant in variants {
                check_fields(&variant.fields, diag);
            }
        }
        Shape::Union(data) => diag.push(syn::Error::new(
            data.union_token.span,
            "`Observable` cannot be derived for a union: which field holds a value is not \
             known; implement `octo_instrument::contract::Observable` by hand",
        )),
    }
}

/// The fields of one struct or variant.
fn check_fields(fields: &[Field<'_>], diag: &mut Diagnostics) {
    let mut recorded: BTreeMap<String, &str> = BTreeMap::new();
    for field in fields {
        check_secret(field, diag);
        if field.mode() == Mode::Skip {
            continue;
        }
        let name = field.name();
        if let Some(first) = recorded.insert(name.clone(), &field.own_name) {
            diag.push(syn::Error::new(
                field.name_span(),
                format!(
                    "field `{first}` is already recorded as `{name}`; give this one another \
                     name with `#[observe(name = \"...\")]`"
                ),
            ));
        }
    }
}

/// A field whose name says it holds a secret must be redacted or skipped (a flattened contract
/// checks its own fields; a `Redacted<..>` field cannot print its value).
fn check_secret(field: &Field<'_>, diag: &mut Diagnostics) {
    if field.original.ident.is_some()
        && secret::looks_secret(&field.own_name)
        && !matches!(field.mode(), Mode::Redact | Mode::Skip | Mode::Flatten)
        && !is_redacted_type(&field.original.ty)
    {
        diag.push(syn::Error::new(
            field.span(),
            format!(
                "field `{}` looks like it holds a secret; add `#[observe(redact)]` to record it \
                 as \"[REDACTED]\", or `#[observe(skip)]` to leave it out",
                field.own_name
            ),
        ));
    }
}

fn is_redacted_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Redacted"))
}
