//! The request method as the HTTP conventions bound it: a client may send any token as a
//! method, so labels and span names take the standard methods by name and everything else as
//! one value.

use http::Method;
use octo_instrument_core::families::OTHER_METHOD;

/// The method as a label and as `http.request.method`: the standard methods by name, anything
/// else `_OTHER`, so a client cannot invent series.
pub(crate) fn label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => OTHER_METHOD,
    }
}

/// The method as a span name begins: the label, except that `_OTHER` is written `HTTP`, as
/// the conventions require.
pub(crate) fn in_span_name(label: &'static str) -> &'static str {
    if label == OTHER_METHOD { "HTTP" } else { label }
}

/// The method as the client sent it, for `http.request.method_original`, when it is not one
/// of the standard ones (the label then says only `_OTHER`).
pub(crate) fn original<'a>(method: &'a Method, label: &'static str) -> Option<&'a str> {
    (label == OTHER_METHOD).then(|| method.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_by_name_others_bounded() {
        assert_eq!(label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(label(&odd), "_OTHER");
        assert_eq!(in_span_name(label(&odd)), "HTTP");
        assert_eq!(in_span_name("GET"), "GET");
        assert_eq!(original(&odd, label(&odd)), Some("PURGE"));
        assert_eq!(original(&Method::GET, "GET"), None);
    }
}
