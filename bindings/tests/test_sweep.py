"""mqttsim.sweep: grid × seeds on a process pool and on a local Dask cluster, each giving the
same table (same digests) as serial runs; the table's shape and its errors."""
import concurrent.futures
import sys

import pytest

import mqttsim

GRID = {"topology.links.backhaul.loss": [0.0, 0.05], "clients.sensor.count": [2, 4]}
SEEDS = range(3)


def delivery_count(result):
    """An extract function (top level, so it pickles): one figure the key metrics lack."""
    return {"deliveries": int(len(result.deliveries))}


@pytest.fixture
def serial_table(quickstart):
    return mqttsim.sweep(quickstart, GRID, SEEDS, executor=mqttsim.InlineExecutor(),
                         extract=delivery_count)


def test_a_serial_sweep_is_the_grid_crossed_with_the_seeds(quickstart, serial_table):
    assert len(serial_table) == 2 * 2 * 3
    first = serial_table[0]
    assert (first["topology.links.backhaul.loss"], first["clients.sensor.count"],
            first["seed"]) == (0.0, 2, 0)
    assert [r["seed"] for r in serial_table[:3]] == [0, 1, 2]
    for row in serial_table:
        variant = quickstart.with_overrides({k: row[k] for k in GRID})
        alone = mqttsim.run(variant, seed=row["seed"])
        assert row["trace_digest"] == alone.trace_digest
        assert row["qos1_delivery_ratio"] == alone.qos(1)["delivery_ratio"]
        assert row["qos1_latency_p99_ns"] == alone.qos(1)["latency_ns"]["p99"]
        assert row["deliveries"] == len(alone.deliveries)
    assert len({r["trace_digest"] for r in serial_table}) == len(serial_table)


def test_a_process_pool_sweep_gives_the_serial_table(quickstart, serial_table):
    assert mqttsim.sweep(quickstart, GRID, SEEDS, extract=delivery_count) == serial_table
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        assert mqttsim.sweep(quickstart, GRID, SEEDS, executor=pool,
                             extract=delivery_count) == serial_table


def test_a_thread_pool_sweep_runs_simulations_side_by_side_and_gives_the_serial_table(
        quickstart, serial_table):
    # The GIL is released while C++ runs, so threads simulate in parallel; worlds share nothing.
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert mqttsim.sweep(quickstart, GRID, SEEDS, executor=pool,
                             extract=delivery_count) == serial_table


def test_a_local_dask_cluster_sweep_gives_the_serial_table(quickstart, serial_table):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            table = mqttsim.sweep(quickstart, GRID, SEEDS, executor=client.get_executor(),
                                  extract=delivery_count)
    assert table == serial_table


def test_to_pandas_gives_a_frame_or_says_what_to_install(serial_table, monkeypatch):
    try:
        import pandas
    except ImportError:
        pandas = None
    if pandas is not None:
        frame = serial_table.to_pandas()
        assert list(frame["trace_digest"]) == serial_table.column("trace_digest")
        assert frame.shape[0] == len(serial_table)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas.*python3-pandas"):
        serial_table.to_pandas()


def test_a_bad_grid_point_fails_before_anything_runs(quickstart):
    calls = []

    class Recording(mqttsim.InlineExecutor):
        def submit(self, fn, /, *args, **kwargs):
            calls.append(args)
            return super().submit(fn, *args, **kwargs)

    with pytest.raises(mqttsim.ScenarioError, match="clients.sensor.count"):
        mqttsim.sweep(quickstart, {"clients.sensor.count": [3, 0]}, [1], executor=Recording())
    assert calls == []


def test_bad_sweep_arguments_raise_type_or_value_errors(quickstart):
    with pytest.raises(TypeError):
        mqttsim.sweep(quickstart.text, {})
    with pytest.raises(TypeError):
        mqttsim.sweep(quickstart, {"clients.sensor.count": 3})
    with pytest.raises(TypeError):
        mqttsim.sweep(quickstart, [("clients.sensor.count", [3])])
    with pytest.raises(TypeError):
        mqttsim.sweep(quickstart, {}, seeds=5)
    with pytest.raises(ValueError):
        mqttsim.sweep(quickstart, {"seed": [1, 2]})
    with pytest.raises(ValueError):
        mqttsim.sweep(quickstart, {"clients.sensor.count": []})
    with pytest.raises(ValueError):
        mqttsim.sweep(quickstart, {}, seeds=[-3])
    with pytest.raises(TypeError):
        mqttsim.sweep(quickstart, {}, executor="threads")


def test_an_empty_grid_sweeps_the_seeds_alone(quickstart):
    table = mqttsim.sweep(quickstart, seeds=[1, 2], executor=mqttsim.InlineExecutor())
    assert [r["seed"] for r in table] == [1, 2]
    assert table[0]["trace_digest"] == mqttsim.run(quickstart, seed=1).trace_digest
