//! Sending an encoded `ExportTraceServiceRequest`: OTLP/gRPC (tonic, HTTP/2, the bytes passed
//! through a codec that only frames them) or OTLP/HTTP with protobuf bodies (hyper). Both run on
//! the export thread's own runtime.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::{Channel, Endpoint};

use crate::trace::otlp::{OtlpProtocol, OtlpSettings};

/// The gRPC method OTLP traces are sent to.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

pub(crate) enum Transport {
    Grpc {
        grpc: tonic::client::Grpc<Channel>,
        headers: tonic::metadata::MetadataMap,
        timeout: Duration,
    },
    Http {
        /// Boxed: the client is large and the transport is built once.
        client: Box<Client<HttpConnector, Full<Bytes>>>,
        uri: http::Uri,
        headers: http::HeaderMap,
        timeout: Duration,
    },
}

impl Transport {
    /// Builds the client for `settings`; must run inside the export thread's runtime (the gRPC
    /// channel spawns its connection there). Connects lazily: a collector that is down now is
    /// an export failure later, not an error at start.
    pub(crate) fn new(settings: &OtlpSettings) -> Result<Self, String> {
        match settings.protocol {
            OtlpProtocol::Grpc => {
                let channel = Endpoint::from_shared(settings.endpoint.clone())
                    .map_err(|err| err.to_string())?
                    .connect_timeout(settings.timeout)
                    .timeout(settings.timeout)
                    .connect_lazy();
                let mut headers = tonic::metadata::MetadataMap::new();
                for (key, value) in &settings.headers {
                    let key = tonic::metadata::MetadataKey::from_bytes(key.as_bytes())
                        .map_err(|err| format!("header {key:?}: {err}"))?;
                    let value = value
                        .parse()
                        .map_err(|_| format!("header value for {key:?} is not valid"))?;
                    headers.insert(key, value);
                }
                Ok(Self::Grpc {
                    grpc: tonic::client::Grpc::new(channel),
                    headers,
                    timeout: settings.timeout,
                })
            }
            OtlpProtocol::HttpProtobuf => {
                let uri: http::Uri = settings
                    .endpoint
                    .parse()
                    .map_err(|err: http::uri::InvalidUri| err.to_string())?;
                let mut connector = HttpConnector::new();
                connector.set_connect_timeout(Some(settings.timeout));
                let mut headers = http::HeaderMap::new();
                for (key, value) in &settings.headers {
                    let name = http::HeaderName::from_bytes(key.as_bytes())
                        .map_err(|err| format!("header {key:?}: {err}"))?;
                    let value = http::HeaderValue::from_str(value)
                        .map_err(|_| format!("header value for {key:?} is not valid"))?;
                    headers.insert(name, value);
                }
                Ok(Self::Http {
                    client: Box::new(Client::builder(TokioExecutor::new()).build(connector)),
                    uri,
                    headers,
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
                headers,
                timeout,
            } => {
                let mut grpc = grpc.clone();
                let mut request = tonic::Request::new(body);
                *request.metadata_mut() = headers.clone();
                let call = async {
                    grpc.ready().await.map_err(|err| err.to_string())?;
                    grpc.unary(
                        request,
                        http::uri::PathAndQuery::from_static(EXPORT_PATH),
                        Raw,
                    )
                    .await
                    .map(drop)
                    .map_err(|status| format!("{}: {}", status.code(), status.message()))
                };
                tokio::time::timeout(*timeout, call)
                    .await
                    .map_err(|_| format!("no answer within {timeout:?}"))?
            }
            Self::Http {
                client,
                uri,
                headers,
                timeout,
            } => {
                let mut request = http::Request::post(uri.clone())
                    .header(http::header::CONTENT_TYPE, "application/x-protobuf")
                    .body(Full::new(body))
                    .map_err(|err| err.to_string())?;
                request.headers_mut().extend(headers.clone());
                let call = async {
                    let response = client.request(request).await.map_err(|err| {
                        let mut message = err.to_string();
                        if let Some(source) = std::error::Error::source(&err) {
                            message = format!("{message}: {source}");
                        }
                        message
                    })?;
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
