#!/usr/bin/env python3
"""OTLP receiver for the Rust integration tests: a stand-in collector built only
on third-party code (grpcio, opentelemetry-proto, protobuf) and the standard
library, so the tests check our exporters against an implementation nobody in
this project wrote.

Usage (the tests start it as a child process):

    python3 otlp_receiver.py --protocol grpc|http --cert SERVER_CERT_PEM \
        --key SERVER_KEY_PEM [--client-ca CA_PEM] [--plaintext] \
        [--grpc-core-decompression]

--protocol grpc   gRPC server serving opentelemetry.proto.collector.trace.v1.
                  TraceService/Export and ...logs.v1.LogsService/Export.
--protocol http   OTLP/HTTP server: POST /v1/traces and POST /v1/logs with
                  Content-Type application/x-protobuf, optionally
                  Content-Encoding gzip; anything else is 404 (unknown path),
                  415 (other media type or encoding) or 400 (bad protobuf).
--cert/--key      PEM server certificate chain and private key.
--client-ca       PEM CA bundle: client certificates are then REQUIRED (mTLS)
                  and must chain to it.
--plaintext       serve without TLS (the certificate options are ignored), for
                  tests comparing with / refusing plaintext.
--grpc-core-decompression
                  grpc only: let grpc core decompress, as a stock collector
                  does (see "compressed" below); "compressed" is then null.

Protocol on stdout (one JSON document per line, flushed at once):

    PORT <number>                      first line, once listening on 127.0.0.1
    {"signal": "traces"|"logs",        then one line per export request
     "headers": {lowercased name: value},
     "compressed": true|false (null: not observable),
     "request": MessageToDict(request, preserving_proto_field_name=True),
     "spans": [...] | "records": [...]}

"spans"/"records" flatten the request with ids in lowercase hex and attribute
values as plain JSON values (see _span_entry / _record_entry). Diagnostics
(failed handshakes, undecodable bodies, gRPC core logs) go to stderr.

Lifetime: the receiver exits on SIGTERM/SIGINT, and as soon as its stdin
reaches EOF, so it never outlives a test process that died. The parent must
therefore give it a pipe as stdin (Rust: Stdio::piped(), keeping the
ChildStdin alive) - with /dev/null as stdin it exits right after start. The
parent must also keep reading stdout: a full pipe blocks the request handlers.

How "compressed" is known on gRPC: grpc core strips grpc-encoding (and
grpc-accept-encoding) from the metadata an application sees, both in
context.invocation_metadata() and in a server interceptor's
handler_call_details, and has no server API for the request's compression.
So by default the server runs with per-message decompression disabled,
receives each message exactly as it crossed the wire, recognises gzip/zlib
streams and decompresses them itself; "compressed" (and the "grpc-encoding"
entry put back into "headers") describe that message, not the header. Core
still rejects a message flagged compressed without a grpc-encoding header,
but cannot tell us the flag: a client that compresses yet leaves the flag
at 0 is accepted here while a stock collector would fail to parse it. Use
--grpc-core-decompression to check that framing the strict way. Note too
that a grpc-core client skips compressing a message that would not shrink,
even with gzip configured.
"""

import argparse
import base64
import gzip
import json
import logging
import os
import signal
import ssl
import sys
import threading
import zlib
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import (
    logs_service_pb2,
    logs_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)

HOST = "127.0.0.1"
# A client that connects and never finishes its handshake must not hold a
# handler thread forever.
HANDSHAKE_TIMEOUT_S = 10
# Idle keep-alive connections are closed after this long.
HTTP_IDLE_TIMEOUT_S = 30

SIGNALS = {
    "traces": (
        trace_service_pb2.ExportTraceServiceRequest,
        trace_service_pb2.ExportTraceServiceResponse,
    ),
    "logs": (
        logs_service_pb2.ExportLogsServiceRequest,
        logs_service_pb2.ExportLogsServiceResponse,
    ),
}
HTTP_PATHS = {"/v1/traces": "traces", "/v1/logs": "logs"}

# Handler threads of both servers print concurrently; one lock keeps every
# line whole.
_stdout_lock = threading.Lock()


def emit(line):
    with _stdout_lock:
        try:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # Nobody reads our output any more: the parent is gone.
            os._exit(0)


def log(message):
    print(f"otlp_receiver: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Request rendering


def any_value(value):
    """AnyValue -> plain JSON value (None when no variant is set)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return key_values(value.kvlist_value.values)
    if kind == "bytes_value":
        # JSON has no bytes; hex matches how ids are rendered.
        return value.bytes_value.hex()
    return getattr(value, kind)


def key_values(pairs):
    return {kv.key: any_value(kv.value) for kv in pairs}


def _span_entry(span, resource, scope):
    return {
        "name": span.name,
        "trace_id": span.trace_id.hex(),
        "span_id": span.span_id.hex(),
        "parent_span_id": span.parent_span_id.hex(),
        "kind": span.kind,
        "status_code": span.status.code,
        "status_message": span.status.message,
        "start_time_unix_nano": span.start_time_unix_nano,
        "end_time_unix_nano": span.end_time_unix_nano,
        "attributes": key_values(span.attributes),
        "events": [
            {"name": event.name, "attributes": key_values(event.attributes)}
            for event in span.events
        ],
        "resource": resource,
        "scope": scope,
    }


def _record_entry(record, resource, scope):
    return {
        "time_unix_nano": record.time_unix_nano,
        "observed_time_unix_nano": record.observed_time_unix_nano,
        "severity_number": record.severity_number,
        "severity_text": record.severity_text,
        "event_name": record.event_name,
        "body": any_value(record.body) if record.HasField("body") else None,
        "trace_id": record.trace_id.hex(),
        "span_id": record.span_id.hex(),
        "attributes": key_values(record.attributes),
        "resource": resource,
        "scope": scope,
    }


def flatten(signal_name, request):
    entries = []
    if signal_name == "traces":
        for resource_spans in request.resource_spans:
            resource = key_values(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    entries.append(
                        _span_entry(span, resource, scope_spans.scope.name)
                    )
        return "spans", entries
    for resource_logs in request.resource_logs:
        resource = key_values(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                entries.append(
                    _record_entry(record, resource, scope_logs.scope.name)
                )
    return "records", entries


def report(signal_name, headers, compressed, request):
    key, entries = flatten(signal_name, request)
    emit(
        json.dumps(
            {
                "signal": signal_name,
                "headers": headers,
                "compressed": compressed,
                "request": json_format.MessageToDict(
                    request, preserving_proto_field_name=True
                ),
                key: entries,
            }
        )
    )


# ---------------------------------------------------------------------------
# gRPC


class _Received:
    """A decoded request plus how its message crossed the wire.

    encoding is "gzip", "deflate" or None (plain); observed is False when grpc
    core decompressed the message before we saw it, so encoding is unknown."""

    def __init__(self, request, encoding, observed):
        self.request = request
        self.encoding = encoding
        self.observed = observed

    @property
    def compressed(self):
        return (self.encoding is not None) if self.observed else None


def _wire_encoding(payload):
    """Which grpc-encoding produced these message bytes, or None if plain.

    An OTLP export request starts with the tag of field 1 (0x0a), which no
    gzip (1f 8b) or zlib stream (0x78, header checksum) starts with."""
    if payload[:2] == b"\x1f\x8b":
        return "gzip"
    if len(payload) >= 2 and payload[0] == 0x78 and int.from_bytes(
        payload[:2], "big"
    ) % 31 == 0:
        return "deflate"
    return None


def _wire_deserializer(parse, observe):
    def deserialize(payload):
        if not observe:
            return _Received(parse(payload), None, observed=False)
        encoding = _wire_encoding(payload)
        if encoding == "gzip":
            payload = gzip.decompress(payload)
        elif encoding == "deflate":
            payload = zlib.decompress(payload)
        return _Received(parse(payload), encoding, observed=True)

    return deserialize


class _WireMessages(grpc.ServerInterceptor):
    """Makes the Export handlers receive _Received instead of the bare request.

    The generated add_*Servicer_to_server functions install the bare protobuf
    parser as deserializer; with core decompression off (see module doc) that
    parser would get gzip bytes, so it is wrapped here."""

    def __init__(self, observe):
        self.observe = observe

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            handler.unary_unary,
            request_deserializer=_wire_deserializer(
                handler.request_deserializer, self.observe
            ),
            response_serializer=handler.response_serializer,
        )


def _grpc_headers(context, encoding):
    headers = {}
    for key, value in context.invocation_metadata():
        if isinstance(value, bytes):  # "-bin" metadata
            value = base64.b64encode(value).decode("ascii")
        key = key.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if encoding is not None:
        # Stripped by grpc core; restored from what the wire carried.
        headers["grpc-encoding"] = encoding
    return headers


def _export(signal_name, received, context):
    report(
        signal_name,
        _grpc_headers(context, received.encoding),
        received.compressed,
        received.request,
    )
    return SIGNALS[signal_name][1]()


class TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def Export(self, received, context):  # noqa: N802 (generated name)
        return _export("traces", received, context)


class LogsService(logs_service_pb2_grpc.LogsServiceServicer):
    def Export(self, received, context):  # noqa: N802 (generated name)
        return _export("logs", received, context)


def start_grpc(args):
    observe = not args.grpc_core_decompression
    options = [
        # Port 0 must yield a port no other process shares.
        ("grpc.so_reuseport", 0),
    ]
    if observe:
        # Hand messages to us still compressed: the only way to learn the
        # request's compression (see module doc).
        options.append(("grpc.per_message_decompression", 0))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[_WireMessages(observe)],
        options=options,
    )
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(TraceService(), server)
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsService(), server)
    address = f"{HOST}:0"
    if args.plaintext:
        port = server.add_insecure_port(address)
    else:
        client_ca = read_file(args.client_ca) if args.client_ca else None
        credentials = grpc.ssl_server_credentials(
            [(read_file(args.key), read_file(args.cert))],
            root_certificates=client_ca,
            require_client_auth=bool(client_ca),
        )
        port = server.add_secure_port(address, credentials)
    if port == 0:
        raise SystemExit("otlp_receiver: could not bind the gRPC port")
    server.start()
    # The caller must keep the server referenced: a collected grpc.Server
    # stops listening.
    return server, port


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------
# OTLP/HTTP


class OtlpHttpHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 so exporters can keep their connections alive between exports.
    protocol_version = "HTTP/1.1"
    timeout = HTTP_IDLE_TIMEOUT_S

    def do_POST(self):  # noqa: N802 (http.server naming)
        signal_name = HTTP_PATHS.get(self.path.split("?", 1)[0])
        if signal_name is None:
            self._discard_body()
            self.send_error(404)
            return
        body = self._read_body()
        media_type = self.headers.get("Content-Type", "").split(";")[0].strip()
        if media_type.lower() != "application/x-protobuf":
            self.send_error(415, f"unsupported Content-Type {media_type!r}")
            return
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip"):
            self.send_error(415, f"unsupported Content-Encoding {encoding!r}")
            return
        request_type, response_type = SIGNALS[signal_name]
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            request = request_type.FromString(body)
        except (OSError, EOFError, zlib.error, DecodeError) as error:
            log(f"undecodable {signal_name} body: {error!r}")
            self.send_error(400, "undecodable body")
            return
        headers = {}
        for key, value in self.headers.items():
            key = key.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        report(signal_name, headers, encoding == "gzip", request)
        payload = response_type().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802 (http.server naming)
        self.send_error(404)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    # Skip trailers up to the blank line ending the body.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _discard_body(self):
        # Consume the body so the keep-alive connection stays in step.
        self._read_body()

    def log_message(self, format, *args):
        # Access logs would only be noise on stderr; errors still go through
        # log_error.
        pass

    def log_error(self, format, *args):
        log(f"{self.client_address[0]}: {format % args}")


class OtlpHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, tls_context):
        self.tls_context = tls_context
        super().__init__(address, OtlpHttpHandler)

    def get_request(self):
        sock, address = super().get_request()
        if self.tls_context is not None:
            # The handshake is deferred to the handler thread (finish_request)
            # so that a slow or failing client cannot stall accept().
            sock = self.tls_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            request.settimeout(HANDSHAKE_TIMEOUT_S)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError) as error:
                # Expected in the refusal tests (no client certificate, client
                # distrusting our CA, plaintext client): log and drop.
                log(f"TLS handshake with {client_address[0]} failed: {error}")
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        log(f"connection from {client_address[0]} failed: {sys.exc_info()[1]!r}")


def start_http(args):
    tls_context = None
    if not args.plaintext:
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(args.cert, args.key)
        # This server speaks HTTP/1.1 only; say so to clients offering h2.
        tls_context.set_alpn_protocols(["http/1.1"])
        if args.client_ca:
            tls_context.verify_mode = ssl.CERT_REQUIRED
            tls_context.load_verify_locations(cafile=args.client_ca)
    server = OtlpHttpServer((HOST, 0), tls_context)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server, server.server_address[1]


# ---------------------------------------------------------------------------


def exit_when_stdin_closes():
    # EOF on stdin means the parent test process is gone (or let go of us).
    while sys.stdin.buffer.read(65536):
        pass
    log("stdin closed, exiting")
    sys.stdout.flush()
    os._exit(0)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocol", choices=("grpc", "http"), required=True)
    parser.add_argument("--cert", help="server certificate chain (PEM)")
    parser.add_argument("--key", help="server private key (PEM)")
    parser.add_argument("--client-ca", help="require client certs from this CA (PEM)")
    parser.add_argument("--plaintext", action="store_true", help="serve without TLS")
    parser.add_argument(
        "--grpc-core-decompression",
        action="store_true",
        help="grpc: let grpc core decompress like a stock collector does "
        '(strict framing checks; "compressed" is then null)',
    )
    args = parser.parse_args()
    if not args.plaintext and not (args.cert and args.key):
        parser.error("--cert and --key are required unless --plaintext")
    return args


def main():
    args = parse_args()
    # grpcio reports handler-side failures (e.g. an undecodable request)
    # through `logging`; without a handler they would vanish.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

    def stop(signum, frame):
        sys.stdout.flush()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server, port = start_grpc(args) if args.protocol == "grpc" else start_http(args)
    emit(f"PORT {port}")
    threading.Thread(target=exit_when_stdin_closes, name="stdin", daemon=True).start()
    # The server runs on its own threads. The main thread only waits for a
    # signal, and by never returning keeps `server` referenced.
    threading.Event().wait()


if __name__ == "__main__":
    main()
