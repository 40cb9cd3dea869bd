//! The event catalog of the crate being compiled: `octo-events.toml` beside its `Cargo.toml`, or
//! the file `OCTO_EVENT_CATALOG` names (the format is `octo_instrument_core::catalog`). Where a
//! crate has one, every event name a macro sees must be in it.
//!
//! What cargo must track so that a change re-checks the names goes into every expansion:
//! `include_bytes!` of the catalog file, and `option_env!("OCTO_EVENT_CATALOG")`, so that pointing
//! the variable elsewhere (or setting it for the first time) rebuilds the crate too.
//!
//! Nothing here is remembered between expansions: a long-lived expander (rust-analyzer's
//! proc-macro server) sees each edit of the catalog, and a broken catalog is an error at every
//! name checked, never "accept every name" after the first report.
//!
//! A crate without `octo-events.toml` has no catalog (only the grammar is checked); a catalog
//! named by `OCTO_EVENT_CATALOG` that does not exist is an error, since checking the grammar
//! alone would pass names the catalog was set to refuse.

use std::path::PathBuf;

use octo_instrument_core::catalog::{self, Entry, FILE_NAME, PATH_VARIABLE};
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// The crate's catalog as read for one expansion.
pub(crate) struct Catalog {
    path: PathBuf,
    entries: Vec<Entry>,
}

/// What reading the catalog gave: none (only the grammar is checked), one, or why it is broken.
pub(crate) enum Loaded {
    None,
    Some(Catalog),
    Broken(String),
}

/// What a macro learns about the catalog when it checks an event name.
pub(crate) struct Checked<'a> {
    /// The entry of the name, when the crate has a catalog.
    pub(crate) entry: Option<&'a Entry>,
    /// The tokens that make cargo track the catalog (see the module documentation).
    pub(crate) track: TokenStream,
}

/// Where the catalog is looked for.
struct Location {
    path: PathBuf,
    /// Named by [`PATH_VARIABLE`] for this crate, so it must exist: an absolute path (one file for
    /// every crate), or a relative one while compiling a package cargo was asked to build. A
    /// dependency compiled in the same build, whose directory has no such file, checks the
    /// grammar only, as without the variable.
    named: bool,
}

/// Reads the catalog of the crate being compiled.
pub(crate) fn load() -> Loaded {
    location().map_or(Loaded::None, |location| load_from(&location))
}

fn load_from(location: &Location) -> Loaded {
    let path = &location.path;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && location.named => {
            return Loaded::Broken(format!(
                "{PATH_VARIABLE} names the event catalog {}, which does not exist; point it at \
                 the catalog file (relative to the crate's directory) or unset it",
                path.display()
            ));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Loaded::None,
        Err(err) => return Loaded::Broken(format!("event catalog {}: {err}", path.display())),
    };
    match catalog::parse(&text) {
        Ok(entries) => Loaded::Some(Catalog {
            path: path.clone(),
            entries,
        }),
        Err((line, message)) => Loaded::Broken(format!(
            "event catalog {}, line {line}: {message}",
            path.display()
        )),
    }
}

fn location() -> Option<Location> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    Some(match std::env::var_os(PATH_VARIABLE) {
        Some(path) => Location {
            named: std::path::Path::new(&path).is_absolute()
                || std::env::var_os("CARGO_PRIMARY_PACKAGE").is_some(),
            path: manifest_dir.join(path),
        },
        None => Location {
            path: manifest_dir.join(FILE_NAME),
            named: false,
        },
    })
}

/// Tracks the catalog file (when it exists) and the variable that can move it.
fn track(path: Option<&PathBuf>) -> TokenStream {
    let file = path.map(|path| {
        let path = path.display().to_string();
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    quote! {
        #file
        const _: ::core::option::Option<&str> = ::core::option_env!(#PATH_VARIABLE);
    }
}

/// Checks `lit` against the crate's catalog: the entry of the name, or the error on `lit` (an
/// unknown name with the closest known one suggested, or the catalog's own error).
pub(crate) fn check<'a>(loaded: &'a Loaded, lit: &LitStr) -> syn::Result<Checked<'a>> {
    let catalog = match loaded {
        Loaded::None => {
            return Ok(Checked {
                entry: None,
                track: track(None),
            });
        }
        // The catalog cannot vouch for any name: each one checked against it is an error.
        Loaded::Broken(message) => return Err(syn::Error::new(lit.span(), message)),
        Loaded::Some(catalog) => catalog,
    };
    let name = lit.value();
    match catalog.entries.iter().find(|e| e.name == name) {
        Some(entry) => Ok(Checked {
            entry: Some(entry),
            track: track(Some(&catalog.path)),
        }),
        None => {
            let file = catalog.path.file_name().map_or_else(
                || catalog.path.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            );
            let message = match catalog::closest(&name, &catalog.entries) {
                Some(suggestion) => format!(
                    "unknown event {name:?}; did you mean {suggestion:?}? (events are declared \
                     in {file})"
                ),
                None => format!(
                    "unknown event {name:?}: it is not in {file}; declare it there with a \
                     description, as in `[\"{name}\"]` and `description = \"...\"`"
                ),
            };
            Err(syn::Error::new(lit.span(), message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(name: &str) -> LitStr {
        LitStr::new(name, proc_macro2::Span::call_site())
    }

    /// Regression test for issue 10: a "reported once" flag made every name after the first one
    /// pass unchecked against a broken catalog, for the life of the expander's process.
    #[test]
    fn a_broken_catalog_is_an_error_at_every_name_checked() {
        let broken = Loaded::Broken("event catalog x, line 2: unknown key `color`".into());
        for name in ["task.processing", "task.other", "task.processing"] {
            let err = check(&broken, &lit(name)).err().expect("an error");
            assert!(err.to_string().contains("unknown key `color`"));
        }
    }

    /// A catalog the variable names must exist; the default file may be absent.
    #[test]
    fn a_named_catalog_that_does_not_exist_is_an_error() {
        let path = std::env::temp_dir().join(format!(
            "octo-no-such-catalog-{}/octo-events.toml",
            std::process::id()
        ));
        let named = load_from(&Location {
            path: path.clone(),
            named: true,
        });
        let Loaded::Broken(message) = named else {
            panic!("expected an error");
        };
        assert!(message.starts_with("OCTO_EVENT_CATALOG names"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
        let err = check(&Loaded::Broken(message), &lit("task.processing"))
            .err()
            .expect("an error at the name");
        assert!(err.to_string().contains("which does not exist"));
        let default = load_from(&Location { path, named: false });
        assert!(matches!(default, Loaded::None));
    }

    #[test]
    fn expansions_track_the_file_and_the_variable_that_moves_it() {
        let catalog = Loaded::Some(Catalog {
            path: PathBuf::from("/crate/octo-events.toml"),
            entries: octo_instrument_core::catalog::parse(
                "[\"task.processing\"]\ndescription = \"x\"",
            )
            .unwrap(),
        });
        let checked = check(&catalog, &lit("task.processing")).unwrap();
        let tokens = checked.track.to_string();
        assert!(
            tokens.contains("include_bytes ! (\"/crate/octo-events.toml\")"),
            "{tokens}"
        );
        assert!(
            tokens.contains("option_env ! (\"OCTO_EVENT_CATALOG\")"),
            "{tokens}"
        );
        // Without a catalog the variable is still tracked: setting it later re-checks.
        let none = check(&Loaded::None, &lit("task.processing")).unwrap();
        assert!(
            none.track
                .to_string()
                .contains("option_env ! (\"OCTO_EVENT_CATALOG\")")
        );
        let unknown = check(&catalog, &lit("task.procesing")).err().unwrap();
        assert!(
            unknown
                .to_string()
                .contains("did you mean \"task.processing\"?")
        );
    }
}
