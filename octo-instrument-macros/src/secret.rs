//! Names that say a value is a secret: such a field must be redacted or skipped, and may not be
//! logged through `fields(...)` at all.

use proc_macro2::{Span, TokenStream, TokenTree};

/// Words that mark a secret when they are a whole segment of a `snake_case` (or dotted) name.
const WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "secrets",
    "token",
    "apikey",
    "authorization",
    "credential",
    "credentials",
    "privatekey",
    "session",
];

/// Two-segment secrets: `api_key`, `private_key`.
const PAIRS: &[(&str, &str)] = &[("api", "key"), ("private", "key")];

/// Whether `name` says it holds a secret: `api_key`, `db_password`, `Authorization`,
/// `session_id`, `auth.token` ... in any case, at any position.
pub(crate) fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let segments: Vec<&str> = lower
        .split(['_', '.', '-'])
        .filter(|s| !s.is_empty())
        .collect();
    segments.iter().any(|s| WORDS.contains(s))
        || segments.windows(2).any(|w| PAIRS.contains(&(w[0], w[1])))
}

/// The names of a tracing-syntax field list (`a = 1, b.c = %x, %d, ?e`), with the span of each.
pub(crate) fn field_names(fields: &TokenStream) -> Vec<(String, Span)> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut span = None;
    let mut in_name = true;
    for token in fields.clone() {
        match &token {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if let (false, Some(span)) = (current.is_empty(), span) {
                    names.push((std::mem::take(&mut current), span));
                }
                current.clear();
                span = None;
                in_name = true;
            }
            _ if !in_name => {}
            TokenTree::Punct(p) if p.as_char() == '=' => in_name = false,
            TokenTree::Punct(p) if matches!(p.as_char(), '%' | '?') && current.is_empty() => {}
            TokenTree::Punct(p) if p.as_char() == '.' => current.push('.'),
            TokenTree::Ident(ident) => {
                span.get_or_insert(ident.span());
                current.push_str(&ident.to_string());
            }
            TokenTree::Literal(lit) => {
                span.get_or_insert(lit.span());
                current.push_str(lit.to_string().trim_matches('"'));
            }
            _ => in_name = false,
        }
    }
    if let (false, Some(span)) = (current.is_empty(), span) {
        names.push((current, span));
    }
    names
}

/// The error for a secret-named entry of `fields(...)` (or of a level macro's fields).
pub(crate) fn field_list_error(name: &str, span: Span) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "field `{name}` looks like it holds a secret and would be logged as it is; leave it \
             out, or log it through a contract type whose field has `#[observe(redact)]` \
             (or `#[observe(skip)]`), or wrap the value in `octo_instrument::Redacted`"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "db_password",
            "API_KEY",
            "apiKey",
            "api_key_id",
            "private_key",
            "auth_token",
            "token",
            "session_id",
            "Authorization",
            "client_secret",
            "aws_credentials",
            "user.password",
            "passwd",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "task_id",
            "priority",
            "tokens_used",
            "prompt_tokens",
            "keyboard",
            "api_version",
            "tokenizer",
            "sessions_total",
            "monkey",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn names_of_a_field_list() {
        let fields: TokenStream =
            "task_id = %task.id, priority = t.p(1, 2), %user, ?x.y, a.b.c = 1"
                .parse()
                .unwrap();
        let names: Vec<String> = field_names(&fields).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["task_id", "priority", "user", "x.y", "a.b.c"]);
    }
}
