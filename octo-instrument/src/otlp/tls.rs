//! TLS for `https://` endpoints, with rustls over `ring` (no OpenSSL to build against): the
//! server is verified against the CA certificates of `OTEL_EXPORTER_OTLP_[..]CERTIFICATE`, or
//! the system's roots where that is unset; `_CLIENT_CERTIFICATE` and `_CLIENT_KEY` give the client
//! certificate of mutual TLS. The files are read and checked when the settings are, so a missing
//! or broken file is an `init()` error naming its variable. A server that does not verify fails
//! the export (counted, reported once); there is no fallback to plaintext.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::variables::{Variables, first_set};
use crate::error::Error;

/// The client configuration for an endpoint: `None` for plaintext (`http://`), which must then
/// have no certificate variables set (they would be ignored, and the data sent in the clear).
pub(crate) fn client_config(
    variables: &Variables,
    endpoint_variable: &'static str,
    endpoint: &str,
    tls: bool,
) -> Result<Option<Arc<ClientConfig>>, Error> {
    let ca = first_set(variables.certificate);
    let client_certificate = first_set(variables.client_certificate);
    let client_key = first_set(variables.client_key);
    if !tls {
        if let Some((variable, value)) = ca.or(client_certificate).or(client_key) {
            return Err(Error::invalid(
                variable,
                &value,
                format!(
                    "no certificate: the endpoint {endpoint} is plaintext \
                     (use https:// in {endpoint_variable} to export over TLS)"
                ),
            ));
        }
        return Ok(None);
    }
    let roots = match ca {
        Some((variable, path)) => ca_roots(variable, &path)?,
        None => system_roots(endpoint_variable, endpoint)?,
    };
    let builder = builder().with_root_certificates(roots);
    let config = match (client_certificate, client_key) {
        (None, None) => builder.with_no_client_auth(),
        (Some((variable, path)), None) => {
            return Err(Error::invalid(
                variable,
                &path,
                format!(
                    "a client certificate with its key in {}",
                    variables.client_key[1]
                ),
            ));
        }
        (None, Some((variable, path))) => {
            return Err(Error::invalid(
                variable,
                &path,
                format!(
                    "a client key with its certificate in {}",
                    variables.client_certificate[1]
                ),
            ));
        }
        (Some((cert_variable, cert_path)), Some((key_variable, key_path))) => {
            let chain = certificates(cert_variable, &cert_path)?;
            let key =
                PrivateKeyDer::from_pem_slice(&read(key_variable, &key_path)?).map_err(|err| {
                    Error::invalid(
                        key_variable,
                        &key_path,
                        format!("a PEM file holding a private key (PKCS#8, PKCS#1 or SEC1): {err}"),
                    )
                })?;
            builder.with_client_auth_cert(chain, key).map_err(|err| {
                Error::invalid(
                    key_variable,
                    &key_path,
                    format!("the private key of the certificate in {cert_variable}: {err}"),
                )
            })?
        }
    };
    Ok(Some(Arc::new(config)))
}

/// rustls over `ring`, with its safe default protocol versions (TLS 1.2 and 1.3).
fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
}

/// A configuration that trusts nothing, for the connector of a plaintext endpoint (whose TLS
/// half is never used).
pub(crate) fn plaintext_only() -> ClientConfig {
    builder()
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth()
}

fn read(variable: &'static str, path: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path.trim()).map_err(|err| {
        Error::invalid(
            variable,
            path,
            format!("the path of a readable file: {err}"),
        )
    })
}

/// The certificates of a PEM file; at least one.
fn certificates(variable: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let pem = read(variable, path)?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| {
            Error::invalid(variable, path, format!("a PEM file of certificates: {err}"))
        })?;
    if certificates.is_empty() {
        return Err(Error::invalid(
            variable,
            path,
            "a PEM file of certificates (it holds none)",
        ));
    }
    Ok(certificates)
}

/// The CA certificates of `path`: the only roots trusted, as the specification means them.
fn ca_roots(variable: &'static str, path: &str) -> Result<RootCertStore, Error> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(variable, path)? {
        roots.add(certificate).map_err(|err| {
            Error::invalid(
                variable,
                path,
                format!("CA certificates a TLS client can trust: {err}"),
            )
        })?;
    }
    Ok(roots)
}

/// The system's trusted roots. None at all is an error: every export would fail.
fn system_roots(variable: &'static str, endpoint: &str) -> Result<RootCertStore, Error> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        return Err(Error::invalid(
            variable,
            endpoint,
            "an endpoint whose certificate can be verified: no system root certificates were \
             found; set OTEL_EXPORTER_OTLP_CERTIFICATE to the collector's CA",
        ));
    }
    Ok(roots)
}
