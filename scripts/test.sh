#!/usr/bin/env bash
# Installs what the tests use from outside Rust (Debian's prometheus for promtool; Python's
# prometheus_client for its exposition parser, the OpenTelemetry SDK for trace-context interop,
# grpcio and opentelemetry-proto for the TLS receivers, PyYAML for the Grafana files,
# opentelemetry-semantic-conventions for the stable attribute names, FastAPI, uvicorn and httpx with
# their OpenTelemetry instrumentation for the Python hop between two services), then runs every
# test of the workspace, doctests included. Safe to run again: installed tools are found and
# skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
fi
if ! python3 -c 'import prometheus_client, opentelemetry.sdk, grpc, opentelemetry.proto, opentelemetry.semconv.attributes, yaml, fastapi, uvicorn, httpx, opentelemetry.instrumentation.fastapi, opentelemetry.instrumentation.httpx' >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check 'prometheus_client>=0.26,<0.27' \
    'opentelemetry-api>=1.45,<2' 'opentelemetry-sdk>=1.45,<2' 'opentelemetry-proto>=1.45,<2' \
    'opentelemetry-semantic-conventions' 'grpcio>=1.70,<2' 'PyYAML>=6,<7' 'fastapi' 'uvicorn' \
    'httpx' 'opentelemetry-instrumentation-fastapi' 'opentelemetry-instrumentation-httpx'
fi

cargo test --workspace --all-features
# The wire tests once more with the OpenTelemetry SDK's span pipeline: both pipelines must put the
# same spans on the wire.
OCTO_SPAN_PIPELINE=opentelemetry-sdk cargo test --workspace --all-features \
  --test http_server --test http_hostile --test http_limits --test trace_faults --test secrets \
  --test python_interop --test two_services --test contracts --test span_lifecycle \
  --test otlp_export --test exemplars
