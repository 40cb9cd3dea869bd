#!/usr/bin/env python3
"""Prints every attribute name of the stable OpenTelemetry semantic conventions, one per line,
from Python's `opentelemetry-semantic-conventions` package: the modules under
`opentelemetry.semconv.attributes` (the incubating ones live elsewhere, under `_incubating`).
The Rust tests check that every attribute name the library adds to spans is among them."""

import importlib
import pkgutil

import opentelemetry.semconv.attributes as stable

names = set()
for module_info in pkgutil.iter_modules(stable.__path__):
    module = importlib.import_module(f"{stable.__name__}.{module_info.name}")
    for constant, value in vars(module).items():
        if constant.isupper() and isinstance(value, str) and "." in value:
            names.add(value)
for name in sorted(names):
    print(name)
