//! `#[observe(...)]` on fields (and `#[observe(crate = path)]` on the type), syntax-checked.

use syn::{Attribute, Field, LitStr};

use crate::diag::Diagnostics;

/// How a field is recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Through `FieldValue`: strings, numbers, booleans, `Option`s of them.
    Value,
    Display,
    Debug,
    Flatten,
    Redact,
    Skip,
}

impl Mode {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Self::Value => "",
            Self::Display => "display",
            Self::Debug => "debug",
            Self::Flatten => "flatten",
            Self::Redact => "redact",
            Self::Skip => "skip",
        }
    }
}

const KEYWORDS: &str = "`name = \"...\"`, `skip`, `redact`, `flatten`, `display`, `debug`";

pub(crate) struct FieldAttrs {
    pub(crate) name: Option<LitStr>,
    pub(crate) mode: Mode,
}

/// Reads a field's `#[observe(...)]` attributes; every mistake goes into `diag`.
pub(crate) fn field(field: &Field, diag: &mut Diagnostics) -> FieldAttrs {
    let mut attrs = FieldAttrs {
        name: None,
        mode: Mode::Value,
    };
    for attr in observe_attrs(&field.attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let mode = match key.as_str() {
                "name" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    check_name(&lit)?;
                    if attrs.name.is_some() {
                        return Err(meta.error("`name` is given twice"));
                    }
                    attrs.name = Some(lit);
                    return Ok(());
                }
                "skip" => Mode::Skip,
                "redact" => Mode::Redact,
                "flatten" => Mode::Flatten,
                "display" => Mode::Display,
                "debug" => Mode::Debug,
                _ => {
                    return Err(meta.error(format_args!(
                        "unknown field attribute `{}`; expected one of {KEYWORDS}",
                        path_text(&meta.path)
                    )));
                }
            };
            if attrs.mode != Mode::Value {
                let hint = if matches!(
                    (attrs.mode, mode),
                    (Mode::Redact, Mode::Skip) | (Mode::Skip, Mode::Redact)
                ) {
                    "choose one: `skip` leaves the field out, `redact` records it as \
                     \"[REDACTED]\""
                } else {
                    "a field is recorded one way: choose one"
                };
                return Err(meta.error(format_args!(
                    "`{}` and `{}` together; {hint}",
                    attrs.mode.keyword(),
                    mode.keyword()
                )));
            }
            attrs.mode = mode;
            Ok(())
        });
        diag.keep(result);
    }
    attrs
}

/// `#[observe(crate = path)]` on the type, for a renamed dependency.
pub(crate) fn container(attrs: &[Attribute], diag: &mut Diagnostics) -> Option<syn::Path> {
    let mut crate_path = None;
    for attr in observe_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                crate_path = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(format_args!(
                    "unknown attribute `{}` on the type; only `crate = path` goes here, the \
                     others ({KEYWORDS}) go on fields",
                    path_text(&meta.path)
                )))
            }
        });
        diag.keep(result);
    }
    crate_path
}

fn observe_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("observe"))
}

fn path_text(path: &syn::Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

fn check_name(lit: &LitStr) -> syn::Result<()> {
    let name = lit.value();
    let valid = !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(syn::Error::new(
            lit.span(),
            format!(
                "invalid field name {name:?}: use letters, digits, `_` and single dots, as in \
                 \"task.id\""
            ),
        ))
    }
}
