"""mqttsim.sweep: a scenario over a grid of overrides × seeds, on any concurrent.futures executor.

Each job ships only plain data (YAML text, source name, override strings, seed) and returns one
row (a dict), so it runs the same in a local process pool or on a Dask cluster
(`distributed.Client(...).get_executor()`): a run's digest depends on the scenario and the seed
only, never on where it ran.
"""
import concurrent.futures
import itertools
import os
import threading

from .result import _check_seed, run
from .scenario import Scenario

_QOS_FIELDS = ("sent", "expected", "delivered", "lost", "duplicated", "delivery_ratio")
_LATENCY_FIELDS = ("p50", "p90", "p99", "max")


def key_metrics(result):
    """The row a sweep keeps of one run: pass/fail, digest, and per QoS level (qos0_, qos1_,
    qos2_, qosm1_ for MQTT-SN QoS -1) its delivery figures and latency percentiles."""
    m = result.metrics
    row = {"passed": m["passed"], "trace_digest": m["trace_digest"], "events": m["events"],
           "connection_breaks": m["connection_breaks"], "queue_drops": m["queue_drops"]}
    for entry in m["qos"]:
        prefix = f"qos{entry['qos']}_" if entry["qos"] >= 0 else "qosm1_"
        for field in _QOS_FIELDS:
            row[prefix + field] = entry[field]
        for field in _LATENCY_FIELDS:
            row[f"{prefix}latency_{field}_ns"] = entry["latency_ns"][field]
    return row


def _run_job(text, source, overrides, seed, point, extract):
    """One sweep job (top level, so pickle finds it by name in any worker process)."""
    result = run(Scenario(text, source, overrides), seed=seed)
    row = dict(point)
    row["seed"] = result.seed
    row.update(key_metrics(result))
    if extract is not None:
        row.update(extract(result))
    return row


class SweepTable(list):
    """A sweep's rows (dicts), in grid order then seed order. to_pandas() gives a DataFrame."""

    def to_pandas(self):
        try:
            import pandas
        except ImportError as e:
            raise ImportError("SweepTable.to_pandas needs pandas, which is not installed "
                              "(Debian: apt install python3-pandas); the table itself is a list "
                              "of dicts") from e
        return pandas.DataFrame(list(self))

    def column(self, name):
        return [row.get(name) for row in self]


class InlineExecutor(concurrent.futures.Executor):
    """Runs each job at submit() in the calling thread: a serial sweep, for comparison and
    debugging, through the same Executor interface."""

    def __init__(self):
        self._lock = threading.Lock()
        self._shutdown = False

    def submit(self, fn, /, *args, **kwargs):
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit after shutdown")
        future = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: B902 - handed to the caller through the future
            future.set_exception(e)
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        with self._lock:
            self._shutdown = True


def _grid_points(grid):
    if not isinstance(grid, dict):
        raise TypeError(f"grid must be a dict of key.path → list of values, not "
                        f"{type(grid).__name__}")
    keys = list(grid)
    axes = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"grid keys are 'key.path' strings, not {key!r}")
        if key == "seed":
            raise ValueError("grid key 'seed': give seeds=... instead")
        values = grid[key]
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{key!r}] must be a list of values, not "
                            f"{type(values).__name__}")
        values = list(values)
        if not values:
            raise ValueError(f"grid[{key!r}] is empty")
        axes.append(values)
    return [dict(zip(keys, combo)) for combo in itertools.product(*axes)]


def sweep(scenario, grid=None, seeds=range(10), executor=None, extract=None, max_workers=None):
    """Run `scenario` for every combination of `grid` values × every seed.

    grid       {'key.path': [values]}: the overrides of `with_overrides`, crossed.
    seeds      the seeds each grid point runs with (ints).
    executor   any concurrent.futures.Executor (a Dask cluster's `client.get_executor()`
               works); default a ProcessPoolExecutor(max_workers) made and shut down here.
    extract    optional picklable function Result → dict of extra row fields.
    Returns a SweepTable: one dict per run, with the grid values, seed and key_metrics().
    Every grid point is checked before anything runs (ScenarioError on the first bad one).
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"sweep takes a Scenario, not {type(scenario).__name__}")
    if isinstance(seeds, int):
        raise TypeError("seeds must be an iterable of ints, e.g. range(10)")
    seeds = [_check_seed(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty")
    if extract is not None and not callable(extract):
        raise TypeError("extract must be a function Result → dict")
    points = _grid_points(grid or {})
    jobs = []
    for point in points:
        variant = scenario.with_overrides(point)  # checks it: errors surface before running
        for seed in seeds:
            jobs.append((variant.text, variant.source, variant.overrides, seed, point, extract))
    own_executor = executor is None
    if own_executor:
        workers = max_workers or min(len(jobs), os.cpu_count() or 1)
        executor = concurrent.futures.ProcessPoolExecutor(max_workers=workers)
    elif not hasattr(executor, "submit"):
        raise TypeError(f"executor must be a concurrent.futures.Executor, not "
                        f"{type(executor).__name__}")
    try:
        futures = [executor.submit(_run_job, *job) for job in jobs]
        return SweepTable(f.result() for f in futures)
    finally:
        if own_executor:
            executor.shutdown(wait=True, cancel_futures=True)


__all__ = ["sweep", "SweepTable", "InlineExecutor", "key_metrics"]
