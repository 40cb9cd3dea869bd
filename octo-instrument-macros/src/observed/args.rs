//! Parsing `#[observed(...)]` into [`ObservedArgs`]: syntax of the attribute only; the function is
//! not looked at here. Each argument is parsed on its own, its mistakes going into the
//! [`Diagnostics`] the validate step adds to, so one expansion reports every mistake at once.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitInt, LitStr, Token};

use crate::diag::Diagnostics;

/// Every argument, in the order the documentation lists them; it feeds both the parser's
/// matching and the "expected one of" text.
pub(crate) const KEYWORDS: &[&str] = &[
    "event",
    "level",
    "fields",
    "record",
    "ret",
    "slow_ms",
    "buckets",
    "histogram",
    "gauge",
    "labels",
    "max_series",
    "sample",
    "crate",
];

/// An argument that may be given once; the second occurrence is an error on its key.
pub(crate) struct Slot<T> {
    value: Option<(Span, T)>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self { value: None }
    }
}

impl<T> Slot<T> {
    fn set(&mut self, meta: &ParseNestedMeta<'_>, value: T) -> syn::Result<()> {
        if self.value.is_some() {
            return Err(meta.error(format_args!(
                "duplicate `{}` argument; give it once",
                path_name(&meta.path)
            )));
        }
        self.value = Some((span_of(&meta.path), value));
        Ok(())
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, value)| value)
    }

    pub(crate) fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(span, _)| *span)
    }

    pub(crate) fn take(self) -> Option<T> {
        self.value.map(|(_, value)| value)
    }
}

/// A log level named by the user, with the literal or ident it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    const NAMES: &'static str = "\"trace\", \"debug\", \"info\", \"warn\", \"error\"";

    fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "trace" => Self::Trace,
            "debug" => Self::Debug,
            "info" => Self::Info,
            "warn" | "warning" => Self::Warn,
            "error" => Self::Error,
            _ => return None,
        })
    }

    pub(crate) fn ident(self) -> Ident {
        let name = match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warn => "WARN",
            Self::Error => "ERROR",
        };
        Ident::new(name, Span::call_site())
    }
}

/// `buckets = [..]` or `buckets = http`.
pub(crate) enum Buckets {
    List(Vec<(f64, Span)>, Span),
    /// The preset's name and where it is written (a string need not be an identifier).
    Preset(String, Span),
}

/// One `key = expr` of `labels(...)`.
pub(crate) struct Label {
    pub(crate) key: Ident,
    pub(crate) value: Expr,
}

impl Label {
    /// The label's name: the key without a raw identifier's `r#`.
    pub(crate) fn name(&self) -> String {
        syn::ext::IdentExt::unraw(&self.key).to_string()
    }
}

impl Parse for Label {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        input.parse::<Token![=]>()?;
        let value: Expr = input.parse()?;
        Ok(Self { key, value })
    }
}

/// The attribute's arguments, syntax-checked.
#[derive(Default)]
pub(crate) struct ObservedArgs {
    pub(crate) event: Slot<LitStr>,
    pub(crate) level: Slot<(Level, Span)>,
    pub(crate) fields: Slot<TokenStream>,
    pub(crate) record: Slot<Vec<Ident>>,
    pub(crate) ret: Slot<()>,
    pub(crate) slow_ms: Slot<LitInt>,
    pub(crate) buckets: Slot<Buckets>,
    pub(crate) histogram: Slot<LitStr>,
    pub(crate) gauge: Slot<LitStr>,
    pub(crate) labels: Slot<Vec<Label>>,
    pub(crate) max_series: Slot<LitInt>,
    pub(crate) sample: Slot<(f64, Span)>,
    pub(crate) crate_path: Slot<syn::Path>,
    /// The keys written, their values well-formed or not: a key whose value is in error is not
    /// reported missing again by the checks across arguments.
    given: Vec<String>,
}

impl ObservedArgs {
    /// Whether the attribute wrote `key`, even with a value in error.
    pub(crate) fn wrote(&self, key: &str) -> bool {
        self.given.iter().any(|given| given == key)
    }
}

/// Parses every argument, each mistake into `diag`: a bad argument does not hide the next one.
pub(crate) fn parse(tokens: TokenStream, diag: &mut Diagnostics) -> ObservedArgs {
    let mut args = ObservedArgs::default();
    for (argument, comma) in split_arguments(tokens) {
        if argument.is_empty() {
            // `a,,b` or a lone `,`: nothing between two separators.
            if let Some(comma) = comma {
                diag.push(syn::Error::new(
                    comma.span(),
                    "expected an argument before this `,`",
                ));
            }
            continue;
        }
        // With its comma, so that a value missing before it (`event = ,`) is reported at the
        // comma rather than at the whole attribute (the end of a token stream has no place).
        let mut piece = argument;
        if let Some(comma) = comma {
            piece.extend([proc_macro2::TokenTree::Punct(comma)]);
        }
        let parsed = syn::meta::parser(|meta| parse_one(&mut args, &meta)).parse2(piece);
        diag.keep(parsed);
    }
    args
}

/// The attribute's tokens cut at each top-level `,` (commas inside `(..)` or `[..]` belong to
/// their argument), each argument with the comma after it. A trailing comma leaves no empty
/// argument behind it.
fn split_arguments(tokens: TokenStream) -> Vec<(TokenStream, Option<proc_macro2::Punct>)> {
    let mut arguments = Vec::new();
    let mut current = TokenStream::new();
    for token in tokens {
        match token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => {
                arguments.push((std::mem::take(&mut current), Some(punct)));
            }
            other => current.extend([other]),
        }
    }
    if !current.is_empty() {
        arguments.push((current, None));
    }
    arguments
}

fn parse_one(args: &mut ObservedArgs, meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    let name = path_name(&meta.path);
    args.given.push(name.clone());
    match name.as_str() {
        "event" => {
            let lit = string_value(meta, "event = \"task.processing\"")?;
            args.event.set(meta, lit)
        }
        "level" => {
            let (text, span) = word_value(meta, "level = \"debug\"")?;
            let level = Level::from_name(&text).ok_or_else(|| {
                syn::Error::new(
                    span,
                    format!("unknown level `{text}`; expected one of {}", Level::NAMES),
                )
            })?;
            args.level.set(meta, (level, span))
        }
        "fields" => {
            let content;
            syn::parenthesized!(content in meta.input);
            let tokens: TokenStream = content.parse()?;
            args.fields.set(meta, tokens)
        }
        "record" => {
            let names = parse_record(meta)?;
            args.record.set(meta, names)
        }
        "sample" => {
            let sample = parse_sample(meta)?;
            args.sample.set(meta, sample)
        }
        "ret" => {
            no_value(meta, "ret")?;
            args.ret.set(meta, ())
        }
        "slow_ms" => {
            let lit: LitInt = expect_value(meta, "slow_ms = 500")?;
            if lit.base10_parse::<u64>().is_err() || !lit.suffix().is_empty() {
                return Err(syn::Error::new(
                    lit.span(),
                    "`slow_ms` takes a whole number of milliseconds, as in `slow_ms = 500`",
                ));
            }
            args.slow_ms.set(meta, lit)
        }
        "buckets" => {
            let buckets = parse_buckets(meta)?;
            args.buckets.set(meta, buckets)
        }
        "histogram" => {
            let lit = string_value(meta, "histogram = \"task_duration_seconds\"")?;
            args.histogram.set(meta, lit)
        }
        "gauge" => {
            let lit = string_value(meta, "gauge = \"tasks_in_progress\"")?;
            args.gauge.set(meta, lit)
        }
        "labels" => {
            let content;
            syn::parenthesized!(content in meta.input);
            let labels = Punctuated::<Label, Token![,]>::parse_terminated(&content)?;
            args.labels.set(meta, labels.into_iter().collect())
        }
        "max_series" => {
            let lit: LitInt = expect_value(meta, "max_series = 200")?;
            if !matches!(lit.base10_parse::<usize>(), Ok(n) if n > 0) || !lit.suffix().is_empty() {
                return Err(syn::Error::new(
                    lit.span(),
                    "`max_series` takes a whole number above 0 of label sets the extra families \
                     keep, as in `max_series = 200`",
                ));
            }
            args.max_series.set(meta, lit)
        }
        "crate" => {
            let path: syn::Path = expect_value(meta, "crate = my_crate::octo")?;
            args.crate_path.set(meta, path)
        }
        _ => Err(meta.error(format_args!(
            "unknown `observed` argument `{name}`; expected one of {}",
            KEYWORDS
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `record(task, user)`: argument names.
fn parse_record(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Ident>> {
    let content;
    syn::parenthesized!(content in meta.input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(
        &content,
        syn::ext::IdentExt::parse_any,
    )
    .map_err(|err| {
        syn::Error::new(
            err.span(),
            "`record(...)` takes the names of arguments whose types derive Observable, as in \
             `record(task, user)`",
        )
    })?;
    Ok(names.into_iter().collect())
}

/// `sample = 0.01`: a fraction in (0, 1].
fn parse_sample(meta: &ParseNestedMeta<'_>) -> syn::Result<(f64, Span)> {
    let example = "sample = 0.01";
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format_args!("expected a value, as in `{example}`")));
    }
    meta.value()?;
    let lit: syn::Lit = meta.input.parse()?;
    let value = match &lit {
        syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
        syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
        _ => None,
    }
    .filter(|v| *v > 0.0 && *v <= 1.0);
    match value {
        Some(value) => Ok((value, lit.span())),
        None => Err(syn::Error::new(
            lit.span(),
            "`sample` is the fraction of started/completed lines kept: a number above 0 and at \
             most 1, as in `sample = 0.01` (failures are always kept)",
        )),
    }
}

fn path_name(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

fn span_of(path: &syn::Path) -> Span {
    path.segments
        .first()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

fn expect_value<T: Parse>(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<T> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format_args!("expected a value, as in `{example}`")));
    }
    meta.value()?;
    meta.input
        .parse::<T>()
        .map_err(|err| syn::Error::new(err.span(), format!("{err}; write `{example}`")))
}

fn string_value(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<LitStr> {
    expect_value(meta, example)
}

/// A value given either as a string or as a bare word: `level = "debug"` or `level = debug`.
fn word_value(meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<(String, Span)> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format_args!("expected a value, as in `{example}`")));
    }
    meta.value()?;
    if meta.input.peek(LitStr) {
        let lit: LitStr = meta.input.parse()?;
        Ok((lit.value(), lit.span()))
    } else if meta.input.peek(Ident) {
        let ident: Ident = meta.input.parse()?;
        Ok((ident.to_string(), ident.span()))
    } else {
        Err(meta
            .input
            .error(format!("expected a string or a word, as in `{example}`")))
    }
}

fn no_value(meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format_args!("`{key}` takes no value; write just `{key}`")));
    }
    Ok(())
}

fn parse_buckets(meta: &ParseNestedMeta<'_>) -> syn::Result<Buckets> {
    const EXAMPLE: &str = "buckets = [0.1, 0.5, 1.0]` or `buckets = http";
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format_args!("expected a value, as in `{EXAMPLE}`")));
    }
    meta.value()?;
    if meta.input.peek(syn::token::Bracket) {
        let content;
        let bracket = syn::bracketed!(content in meta.input);
        let mut bounds = Vec::new();
        for item in Punctuated::<Expr, Token![,]>::parse_terminated(&content)? {
            bounds.push((bucket_bound(&item)?, syn::spanned::Spanned::span(&item)));
        }
        return Ok(Buckets::List(bounds, bracket.span.join()));
    }
    if meta.input.peek(LitStr) {
        let lit: LitStr = meta.input.parse()?;
        return Ok(Buckets::Preset(lit.value(), lit.span()));
    }
    if meta.input.peek(Ident) {
        let ident: Ident = meta.input.parse()?;
        return Ok(Buckets::Preset(ident.to_string(), ident.span()));
    }
    Err(meta
        .input
        .error(format!("expected a list or a preset, as in `{EXAMPLE}`")))
}

fn bucket_bound(expr: &Expr) -> syn::Result<f64> {
    let parsed = match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) => f.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(i),
            ..
        }) => i.base10_parse::<f64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| {
        syn::Error::new_spanned(
            expr,
            "a bucket bound is a number of seconds written as a literal, as in `0.25`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::ObservedArgs;
    use crate::diag::Diagnostics;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<ObservedArgs> {
        let mut diag = Diagnostics::default();
        let args = super::parse(tokens, &mut diag);
        diag.finish().map(|()| args)
    }

    fn error(tokens: proc_macro2::TokenStream) -> String {
        match parse(tokens) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err.to_string(),
        }
    }

    /// Every error message, in order.
    fn errors(tokens: proc_macro2::TokenStream) -> Vec<String> {
        match parse(tokens) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn accepts_every_argument() {
        let args = parse(quote!(
            event = "task.processing", level = debug, fields(a = 1, b = %x), ret, slow_ms = 5,
            buckets = [0.1, 1], histogram = "task_duration_seconds", gauge = "tasks_in_progress",
            labels(arm = "coder"), crate = ::octo,
        ))
        .unwrap();
        assert_eq!(args.event.get().unwrap().value(), "task.processing");
        assert!(args.ret.get().is_some());
        assert_eq!(args.labels.get().unwrap().len(), 1);
        // A preset named by a string that is no identifier is for the checks to reject.
        assert!(parse(quote!(buckets = "fast ish")).is_ok());
    }

    #[test]
    fn rejects_unknown_and_duplicate_arguments() {
        assert!(
            error(quote!(evnt = "a.b"))
                .contains("unknown `observed` argument `evnt`; expected one of `event`")
        );
        assert!(error(quote!(event = "a.b", event = "c.d")).contains("duplicate `event`"));
        assert!(error(quote!(level = loud)).contains("unknown level `loud`"));
        assert!(error(quote!(ret = true)).contains("`ret` takes no value"));
        assert!(error(quote!(slow_ms = "5")).contains("write `slow_ms = 500`"));
        assert!(error(quote!(buckets = [a])).contains("bucket bound"));
        assert!(error(quote!(event = "a.b",, ret)).contains("expected an argument before"));
    }

    #[test]
    fn every_bad_argument_is_reported_and_the_others_still_parsed() {
        let mut diag = Diagnostics::default();
        let args = super::parse(
            quote!(
                evnt = "x.y",
                level = loud,
                fields(a = 1, b = 2),
                slow_ms = "5",
                event = "a.b"
            ),
            &mut diag,
        );
        let messages: Vec<String> = diag
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("unknown `observed` argument `evnt`"));
        assert!(messages[1].contains("unknown level `loud`"));
        assert!(messages[2].contains("write `slow_ms = 500`"));
        // The arguments after the mistakes are still there for the checks that follow.
        assert_eq!(args.event.get().unwrap().value(), "a.b");
        assert!(args.fields.get().is_some());
        assert!(args.wrote("level") && args.wrote("slow_ms") && !args.wrote("ret"));
        assert_eq!(errors(quote!(ret = 1, ret = 2)).len(), 2);
    }
}
