"""mqttsim: deterministic MQTT simulator and conformance harness (Python API).

    import mqttsim
    s = mqttsim.Scenario.from_yaml("scenarios/quickstart.yaml")
    r = mqttsim.run(s.with_overrides({"topology.links.backhaul.loss": 0.01}), seed=7)
    r.metrics["qos"], r.deliveries, r.latencies_ns, r.trace_digest
    table = mqttsim.sweep(s, grid={"clients.sensor.count": [5, 10]}, seeds=range(4))

Scenarios, runs and sweeps use the C++ simulator in-process (module _core); check and conform
run the `mqttsim` executable. The codec: decode/encode.
"""
from ._core import decode, encode
from ._core import version as __version__
from .cli import CliRun, check, conform, find_executable
from .errors import CliError, NotBuiltError, ScenarioError
from .result import Result, run
from .scenario import Scenario
from .sweep import InlineExecutor, SweepTable, key_metrics, sweep

__all__ = [
    "decode", "encode", "Scenario", "ScenarioError", "run", "Result", "sweep", "SweepTable",
    "InlineExecutor", "key_metrics", "check", "conform", "CliRun", "find_executable",
    "NotBuiltError", "CliError", "__version__",
]
