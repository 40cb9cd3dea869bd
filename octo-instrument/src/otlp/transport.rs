//! Sending an encoded export request (`ExportTraceServiceRequest`, `ExportLogsServiceRequest`):
//! OTLP/gRPC (tonic, HTTP/2, the bytes passed through a codec that only frames them) or OTLP/HTTP
//! with protobuf bodies (hyper), gzip-compressed where configured. Both connect through one
//! connector, plain TCP for `http://` and rustls for `https://`, and run on the export thread's
//! own runtime.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::{Channel, Endpoint};

use super::settings::{Compression, OtlpProtocol, OtlpSettings};

pub(crate) enum Transport {
    Grpc {
        grpc: tonic::client::Grpc<Channel>,
        method: &'static str,
        headers: tonic::metadata::MetadataMap,
        timeout: Duration,
    },
    Http {
        /// Boxed: the client is large and the transport is built once.
        client: Box<Client<HttpsConnector<HttpConnector>, Full<Bytes>>>,
        uri: http::Uri,
        headers: http::HeaderMap,
        gzip: bool,
        timeout: Duration,
    },
}

/// TCP for `http://`, rustls for `https://` (only, once TLS is configured: an `https` endpoint
/// never falls back to plaintext). `h2` is what gRPC asks for in the TLS handshake.
fn connector(settings: &OtlpSettings, h2: bool) -> HttpsConnector<HttpConnector> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(settings.timeout));
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let schemes = match &settings.tls {
        Some(config) => builder
            .with_tls_config(ClientConfig::clone(config))
            .https_only(),
        // Plaintext: the TLS half is never used (the endpoint is `http://`).
        None => builder
            .with_tls_config(super::tls::plaintext_only())
            .https_or_http(),
    };
    if h2 {
        schemes.enable_http2().wrap_connector(tcp)
    } else {
        schemes.enable_http1().wrap_connector(tcp)
    }
}

/// The gRPC channel's connector: for a TLS endpoint, whatever URI tonic dials is dialled as
/// `https` (through rustls, never in plaintext).
#[derive(Clone)]
struct Dial {
    connector: HttpsConnector<HttpConnector>,
    tls: bool,
}

impl tower_service::Service<http::Uri> for Dial {
    type Response = <HttpsConnector<HttpConnector> as tower_service::Service<http::Uri>>::Response;
    type Error = <HttpsConnector<HttpConnector> as tower_service::Service<http::Uri>>::Error;
    type Future = <HttpsConnector<HttpConnector> as tower_service::Service<http::Uri>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.connector.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let uri = if self.tls {
            with_scheme(uri.clone(), http::uri::Scheme::HTTPS).unwrap_or(uri)
        } else {
            uri
        };
        self.connector.call(uri)
    }
}

/// `uri` with another scheme.
fn with_scheme(uri: http::Uri, scheme: http::uri::Scheme) -> Result<http::Uri, String> {
    let mut parts = uri.into_parts();
    parts.scheme = Some(scheme);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    http::Uri::from_parts(parts).map_err(|err| err.to_string())
}

/// A gzip stream of `body`.
fn gzip(body: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a `Vec` cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().map(Bytes::from).unwrap_or_default()
}

impl Transport {
    /// Builds the client for `settings`; must run inside the export thread's runtime (the gRPC
    /// channel spawns its connection there). Connects lazily: a collector that is down now is
    /// an export failure later, not an error at start.
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, String> {
        match settings.protocol {
            OtlpProtocol::Grpc => {
                let uri: http::Uri = settings
                    .endpoint
                    .parse()
                    .map_err(|err: http::uri::InvalidUri| err.to_string())?;
                let tls = settings.tls.is_some();
                // tonic is handed an `http` URI to dial and the `https` one as the requests'
                // origin: built with its own TLS features (another crate of the service may
                // turn them on), tonic refuses an `https` URI it has no TLS configuration for,
                // while our connector does the TLS.
                let dial = if tls {
                    with_scheme(uri.clone(), http::uri::Scheme::HTTP)?
                } else {
                    uri.clone()
                };
                let mut endpoint = Endpoint::from(dial)
                    .connect_timeout(settings.timeout)
                    .timeout(settings.timeout);
                if tls {
                    endpoint = endpoint.origin(uri);
                }
                let channel = endpoint.connect_with_connector_lazy(Dial {
                    connector: connector(settings, true),
                    tls,
                });
                let mut headers = tonic::metadata::MetadataMap::new();
                for (key, value) in &settings.headers {
                    let key = tonic::metadata::MetadataKey::from_bytes(key.as_bytes())
                        .map_err(|err| format!("header {key:?}: {err}"))?;
                    let value = value
                        .parse()
                        .map_err(|_| format!("header value for {key:?} is not valid"))?;
                    headers.insert(key, value);
                }
                let mut grpc = tonic::client::Grpc::new(channel);
                if settings.compression == Compression::Gzip {
                    grpc = grpc.send_compressed(CompressionEncoding::Gzip);
                }
                Ok(Self::Grpc {
                    grpc,
                    method: settings.signal.grpc_method(),
                    headers,
                    timeout: settings.timeout,
                })
            }
            OtlpProtocol::HttpProtobuf => {
                let uri: http::Uri = settings
                    .endpoint
                    .parse()
                    .map_err(|err: http::uri::InvalidUri| err.to_string())?;
                let mut headers = http::HeaderMap::new();
                for (key, value) in &settings.headers {
                    let name = http::HeaderName::from_bytes(key.as_bytes())
                        .map_err(|err| format!("header {key:?}: {err}"))?;
                    let value = http::HeaderValue::from_str(value)
                        .map_err(|_| format!("header value for {key:?} is not valid"))?;
                    headers.insert(name, value);
                }
                Ok(Self::Http {
                    client: Box::new(
                        Client::builder(TokioExecutor::new()).build(connector(settings, false)),
                    ),
                    uri,
                    headers,
                    gzip: settings.compression == Compression::Gzip,
                    timeout: settings.timeout,
                })
            }
        }
    }

    /// Sends one request; the error says why the collector did not take it. Several may be in
    /// flight at once (the clients are handles on shared connections).
    pub(crate) async fn send(&self, body: Bytes) -> Result<(), String> {
        match self {
            Self::Grpc {
                grpc,
                method,
                headers,
                timeout,
            } => {
                let mut grpc = grpc.clone();
                let mut request = tonic::Request::new(body);
                *request.metadata_mut() = headers.clone();
                let call = async {
                    grpc.ready().await.map_err(|err| describe(&err))?;
                    grpc.unary(request, http::uri::PathAndQuery::from_static(method), Raw)
                        .await
                        .map(drop)
                        .map_err(|status| {
                            with_causes(
                                format!("{:?}: {}", status.code(), status.message()),
                                std::error::Error::source(&status),
                            )
                        })
                };
                tokio::time::timeout(*timeout, call)
                    .await
                    .map_err(|_| format!("no answer within {timeout:?}"))?
            }
            Self::Http {
                client,
                uri,
                headers,
                gzip,
                timeout,
            } => {
                let mut request = http::Request::post(uri.clone())
                    .header(http::header::CONTENT_TYPE, "application/x-protobuf");
                let body = if *gzip {
                    request = request.header(http::header::CONTENT_ENCODING, "gzip");
                    self::gzip(&body)
                } else {
                    body
                };
                let mut request = request
                    .body(Full::new(body))
                    .map_err(|err| err.to_string())?;
                request.headers_mut().extend(headers.clone());
                let call = async {
                    let response = client
                        .request(request)
                        .await
                        .map_err(|err| describe(&err))?;
                    let status = response.status();
                    // Read the answer through, so the connection can be reused.
                    let _ = response.into_body().collect().await;
                    if status.is_success() {
                        Ok(())
                    } else {
                        Err(format!("HTTP {status}"))
                    }
                };
                tokio::time::timeout(*timeout, call)
                    .await
                    .map_err(|_| format!("no answer within {timeout:?}"))?
            }
        }
    }
}

/// An error and its causes, `: `-separated: a failed TLS handshake says why only in a source
/// (an unknown issuer, a name mismatch).
fn describe(err: &dyn std::error::Error) -> String {
    with_causes(err.to_string(), err.source())
}

/// `message`, then each cause of `source` it does not already say.
fn with_causes(mut message: String, mut source: Option<&dyn std::error::Error>) -> String {
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// The gRPC codec of pre-encoded requests: the message is already protobuf; the answer
/// (`ExportTraceServiceResponse`, partial success at most) is read and set aside.
#[derive(Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Self::Encoder {
        Raw
    }

    fn decoder(&mut self) -> Self::Decoder {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = ();
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Self::Error> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}
