//! What `#[observed]` drives at run time: the call site, the call, the outcome probes.

pub(crate) mod call;
pub(crate) mod emit;
// The probe traits are `#[doc(hidden)]` plumbing of generated code; `ObservedError` is documented.
#[allow(missing_docs)]
pub(crate) mod probe;
pub(crate) mod site;
