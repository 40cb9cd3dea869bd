#!/usr/bin/env python3
"""A Python service of the standard's own stack between two Rust services: FastAPI served by
uvicorn, calling on with httpx, both instrumented by OpenTelemetry's own instrumentors and
nothing else. It forwards every request to TARGET (the path, the body, the content type and the
request id, as the standard's services do by hand); trace context and baggage are carried only
by the instrumentation, with the SDK's default propagators (`tracecontext,baggage`).

Usage: fastapi_hop.py PORT TARGET_BASE_URL. Exits when its stdin closes (the test died)."""

import os
import sys
import threading

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

trace.set_tracer_provider(TracerProvider())

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, Request, Response  # noqa: E402
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: E402
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor  # noqa: E402

PORT = int(sys.argv[1])
TARGET = sys.argv[2].rstrip("/")

# Before the client exists: instrumentation patches the transports clients are built with.
HTTPXClientInstrumentor().instrument()
app = FastAPI()
client = httpx.AsyncClient()


@app.api_route("/{path:path}", methods=["GET", "POST"])
async def forward(path: str, request: Request) -> Response:
    headers = {
        name: value
        for name, value in request.headers.items()
        if name in ("content-type", "x-request-id")
    }
    answer = await client.request(
        request.method, f"{TARGET}/{path}", content=await request.body(), headers=headers
    )
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        media_type=answer.headers.get("content-type"),
    )


FastAPIInstrumentor.instrument_app(app)


def exit_with_parent() -> None:
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
