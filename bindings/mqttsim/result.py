"""mqttsim.run and its Result: report.json as a dict, the delivery ledger as NumPy arrays.

The simulation itself runs in C++ with the GIL released (other Python threads keep running;
Ctrl-C stops it between steps). The metrics are report.json's own text, parsed, so they mean
exactly what `mqttsim run` reports.
"""
import json
import operator
import os

from . import _core
from .scenario import Scenario

_MAX_SEED = 2**64 - 1


def _check_seed(seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed must be an int or None, not {type(seed).__name__}")
    seed = operator.index(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be in 0 .. 2**64-1, not {seed}")
    return seed


def run(scenario, seed=None, trace=None, pcap=None):
    """Simulate `scenario` (a Scenario, or a path / YAML text for Scenario.from_yaml).

    seed overrides the scenario's seed; trace, a file path, receives the JSONL trace, and pcap,
    a file path, the capture (what `measure.trace` and `measure.pcap` write as trace.jsonl and
    capture.pcap in the CLI; those keys alone write nothing from Python). Returns a Result.
    """
    if not isinstance(scenario, Scenario):
        if isinstance(scenario, (str, bytes, os.PathLike)):
            scenario = Scenario.from_yaml(scenario)
        else:
            raise TypeError(f"run takes a Scenario or a path, not {type(scenario).__name__}")
    seed = _check_seed(seed)
    trace_path = os.fspath(trace) if trace is not None else None
    pcap_path = os.fspath(pcap) if pcap is not None else None
    native = _core.simulate(scenario.text, scenario.source, list(scenario.overrides), seed,
                            trace_path, pcap_path)
    return Result(scenario, native)


class Result:
    """One finished run.

    metrics        report.json as a dict (schema 'mqttsim-run-report')
    deliveries     NumPy structured array, one row per delivery: time_ns, published_ns,
                   latency_ns, message, subscriber, publisher, topic, qos, published_qos, dup,
                   retain
    messages       NumPy structured array, one row per published message
    latencies_ns   int64 array of publish → first delivery per expected (message, subscriber)
                   pair, all QoS; latencies_by_qos[q] per QoS. Like report.json's percentiles,
                   these leave out messages published in the last `measure.settle`.
    trace_digest, seed, passed, scenario
    """

    def __init__(self, scenario, native):
        self.scenario = scenario
        self._native = native
        self.metrics = json.loads(native.json())
        self._deliveries = None
        self._messages = None
        self._latencies = None

    @property
    def trace_digest(self):
        return self._native.trace_digest

    @property
    def seed(self):
        return self._native.seed

    @property
    def passed(self):
        return self._native.passed

    @property
    def deliveries(self):
        if self._deliveries is None:
            self._deliveries = self._native.deliveries()
        return self._deliveries

    @property
    def messages(self):
        if self._messages is None:
            self._messages = self._native.messages()
        return self._messages

    @property
    def latencies_by_qos(self):
        """{qos: int64 array} for the QoS levels the run used (the report's `qos` entries)."""
        if self._latencies is None:
            self._latencies = {q["qos"]: self._native.latencies_ns(q["qos"])
                               for q in self.metrics["qos"] if 0 <= q["qos"] <= 2}
        return self._latencies

    @property
    def latencies_ns(self):
        import numpy
        parts = [self.latencies_by_qos[q] for q in sorted(self.latencies_by_qos)]
        return numpy.concatenate(parts) if parts else numpy.zeros(0, dtype=numpy.int64)

    def latencies(self, qos):
        """Latency samples (int64 ns) of one QoS level; empty when the run did not use it."""
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, not {qos!r}")
        return self._native.latencies_ns(qos)

    def qos(self, level):
        """report.json's entry for one QoS level (a dict), or None when the run did not use it."""
        for entry in self.metrics["qos"]:
            if entry["qos"] == level:
                return entry
        return None

    @property
    def client_names(self):
        """Names of the ledger's clients: deliveries['subscriber'] indexes this list."""
        return self._native.client_names()

    def topic_name(self, topic_id):
        return self._native.topic_name(int(topic_id))

    def summary(self):
        """The table `mqttsim run` prints."""
        return self._native.summary()

    def write_report(self, directory):
        """Write report.json and report.html (the CLI's writers) into `directory`, made if
        needed; returns the directory."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "report.json"), "w", encoding="utf-8") as f:
            f.write(self._native.json())
        with open(os.path.join(directory, "report.html"), "w", encoding="utf-8") as f:
            f.write(self._native.html())
        return directory

    def plot(self, path=None):
        """Latency CDF per QoS and messages over time, with matplotlib (a Figure; saved to
        `path` when given). Raises ImportError when matplotlib is not installed."""
        from .plotting import plot_result
        return plot_result(self, path)

    def __repr__(self):
        return (f"<Result {self.scenario.name!r} seed {self.seed} digest {self.trace_digest} "
                f"{'passed' if self.passed else 'FAILED'}>")
