"""mqttsim: deterministic MQTT simulator and conformance harness (Python API).

This version exposes the packet codec; scenarios, runs and sweeps arrive with the Python
bindings issue.
"""
from ._core import decode, encode

__all__ = ["decode", "encode"]
