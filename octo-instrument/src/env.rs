//! Reading and checking the environment variables of the design's table. Every error names the
//! variable and what it accepts.

use crate::error::Error;

pub(crate) const LEVELS: &str = "trace, debug, info, warn (or warning), error (or critical), off";

/// `JSON_LOGS`: a boolean in any of the usual spellings.
pub(crate) fn parse_bool(variable: &'static str, value: &str) -> Result<bool, Error> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(Error::invalid(
            variable,
            value,
            "one of true, false (also 1/0, yes/no, on/off)",
        )),
    }
}

/// `LOG_LEVEL`: a level, or `RUST_LOG`-style directives (`info,my_crate=debug`). Returns the
/// directives in the form `EnvFilter` reads (`warning` → `warn`, `critical` → `error`).
pub(crate) fn parse_level(variable: &'static str, value: &str) -> Result<String, Error> {
    let expected = || {
        format!("a level ({LEVELS}) or RUST_LOG-style directives such as \"info,my_crate=debug\"")
    };
    let value_trimmed = value.trim();
    if value_trimmed.is_empty() {
        return Err(Error::invalid(variable, value, expected()));
    }
    let mut directives = Vec::new();
    for directive in value_trimmed
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let normalized = match directive.rsplit_once('=') {
            Some((target, level)) => {
                let Some(level) = normalize_level(level) else {
                    return Err(Error::invalid(variable, value, expected()));
                };
                format!("{target}={level}")
            }
            // A bare word must be a level: `EnvFilter` would take `loud` for a target name and
            // silently log nothing.
            None if !directive.contains('[') => match normalize_level(directive) {
                Some(level) => level.to_owned(),
                None => return Err(Error::invalid(variable, value, expected())),
            },
            None => directive.to_owned(),
        };
        directives.push(normalized);
    }
    let directives = directives.join(",");
    tracing_subscriber::EnvFilter::builder()
        .parse(&directives)
        .map_err(|_| Error::invalid(variable, value, expected()))?;
    Ok(directives)
}

fn normalize_level(level: &str) -> Option<&'static str> {
    Some(match level.trim().to_ascii_lowercase().as_str() {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "critical" => "error",
        "off" => "off",
        _ => return None,
    })
}

/// `SERVICE_NAME`, `ENVIRONMENT`, `APP_VERSION`: printable, no spaces, at most 128 bytes, since
/// they become metric label values and Loki stream selectors.
pub(crate) fn parse_name(variable: &'static str, value: &str) -> Result<String, Error> {
    let ok = !value.is_empty()
        && value.len() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+:/@".contains(c));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(
            variable,
            value,
            "1 to 128 characters from A-Z a-z 0-9 and . _ - + : / @",
        ))
    }
}

/// A count that may be zero (`OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=0` keeps no attributes, as the
/// OpenTelemetry SDKs read it): a whole number.
pub(crate) fn parse_count(variable: &'static str, value: &str) -> Result<usize, Error> {
    value
        .trim()
        .parse::<usize>()
        .map_err(|_| Error::invalid(variable, value, "a whole number, such as 128"))
}

/// A size or count limit (`OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, `OCTO_LOG_QUEUE_BYTES`, ...): a
/// whole number above zero.
pub(crate) fn parse_size(variable: &'static str, value: &str) -> Result<usize, Error> {
    match value.trim().parse::<usize>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err(Error::invalid(
            variable,
            value,
            "a whole number above 0, such as 4096",
        )),
    }
}

/// Reads a variable; unset and empty are the same ("not given").
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives() {
        assert_eq!(parse_level("LOG_LEVEL", "INFO").unwrap(), "info");
        assert_eq!(parse_level("LOG_LEVEL", "warning").unwrap(), "warn");
        assert_eq!(parse_level("LOG_LEVEL", "critical").unwrap(), "error");
        assert_eq!(
            parse_level("LOG_LEVEL", "info, my_crate::db=debug").unwrap(),
            "info,my_crate::db=debug"
        );
        let err = parse_level("LOG_LEVEL", "loud").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid LOG_LEVEL=\"loud\": expected a level (trace, debug"),
            "{err}"
        );
        assert!(parse_level("LOG_LEVEL", "my_crate=loud").is_err());
        assert!(parse_level("LOG_LEVEL", " ").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("OCTO_LOG_QUEUE_BYTES", " 4096 ").unwrap(), 4096);
        for bad in ["0", "-1", "4k", "1.5", ""] {
            let err = parse_size("OCTO_LOG_QUEUE_BYTES", bad)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("invalid OCTO_LOG_QUEUE_BYTES="), "{err}");
        }
        assert_eq!(
            parse_count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "0").unwrap(),
            0
        );
        for bad in ["-1", "4k", "1.5", ""] {
            let err = parse_count("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("invalid OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT="),
                "{err}"
            );
        }
    }

    #[test]
    fn booleans_and_names() {
        assert!(parse_bool("JSON_LOGS", "TRUE").unwrap());
        assert!(!parse_bool("JSON_LOGS", "0").unwrap());
        assert!(
            parse_bool("JSON_LOGS", "maybe")
                .unwrap_err()
                .to_string()
                .contains("JSON_LOGS")
        );
        assert_eq!(
            parse_name("APP_VERSION", "1.4.0+build.7").unwrap(),
            "1.4.0+build.7"
        );
        assert!(
            parse_name("SERVICE_NAME", "my service")
                .unwrap_err()
                .to_string()
                .contains("SERVICE_NAME")
        );
    }
}
