"""Errors from Python: a bad scenario raises ScenarioError with every `file:line:col` message the
CLI prints; bad arguments raise TypeError or ValueError; nothing crashes the interpreter."""
import math
import pickle

import numpy
import pytest

import mqttsim
from conftest import run_cli

BAD_SCENARIO = """\
name: broken
duration: 1min
clients:
  sensor:
    count: 0
    attach: {to: nowhere}
    publish: {topic: "a/b", every: soon, qos: 3}
"""


def cli_errors(binary, path, *args):
    done = run_cli(binary, "run", str(path), "--quiet", "--out", str(path) + ".out", *args)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[-1].startswith("mqttsim run: ")
    return lines[:-1]


def test_a_bad_scenario_file_raises_every_message_the_cli_prints(tmp_path, mqttsim_bin):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD_SCENARIO)
    with pytest.raises(mqttsim.ScenarioError) as caught:
        mqttsim.Scenario.from_yaml(str(path))
    expected = cli_errors(mqttsim_bin, path)
    assert caught.value.errors == expected
    assert len(expected) >= 3
    assert all(e.startswith(f"{path}:") for e in expected)
    assert isinstance(caught.value, ValueError)
    assert f"{len(expected)} errors in the scenario" in str(caught.value)


def test_a_message_names_file_line_and_column_exactly():
    text = "name: x\nduration: 1min\nclients:\n  s:\n    count: many\n"
    with pytest.raises(mqttsim.ScenarioError) as caught:
        mqttsim.Scenario.from_yaml(text)
    assert caught.value.errors[0].startswith("<string>:5:12: clients.s.count: ")


def test_yaml_syntax_errors_and_override_errors_match_the_cli(tmp_path, mqttsim_bin,
                                                              quickstart, quickstart_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("name: [unclosed\nduration: 1min\n")
    with pytest.raises(mqttsim.ScenarioError) as caught:
        mqttsim.Scenario.from_yaml(path)
    assert caught.value.errors == cli_errors(mqttsim_bin, path)
    with pytest.raises(mqttsim.ScenarioError) as caught:
        quickstart.with_overrides({"clients.sensor.count": -1})
    assert caught.value.errors == cli_errors(mqttsim_bin, quickstart_path, "--set",
                                             "clients.sensor.count=-1")


def test_scenario_errors_pickle_with_their_messages():
    error = mqttsim.ScenarioError(["a.yaml:1:1: x: bad", "a.yaml:2:1: y: bad"])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.errors == error.errors and str(copy) == str(error)


def test_bad_arguments_raise_type_or_value_errors(quickstart):
    with pytest.raises(TypeError):
        mqttsim.run(42)
    with pytest.raises(TypeError):
        mqttsim.run(quickstart, seed="7")
    with pytest.raises(TypeError):
        mqttsim.run(quickstart, seed=True)
    with pytest.raises(ValueError):
        mqttsim.run(quickstart, seed=-1)
    with pytest.raises(ValueError):
        mqttsim.run(quickstart, seed=2**64)
    with pytest.raises(TypeError):
        mqttsim.Scenario.from_yaml(3.5)
    with pytest.raises(TypeError):
        mqttsim.Scenario.from_dict(["name", "x"])
    with pytest.raises(TypeError):
        quickstart.with_overrides(["clients.sensor.count=3"])
    with pytest.raises(TypeError):
        quickstart.with_overrides({"clients.sensor.count": object()})
    with pytest.raises(ValueError):
        quickstart.with_overrides({"topology.links.backhaul.loss": math.nan})
    with pytest.raises(ValueError):
        quickstart.with_overrides({"a=b": 1})
    with pytest.raises(FileNotFoundError):
        mqttsim.Scenario.from_yaml("no/such/scenario.yaml")
    result = mqttsim.run(quickstart)
    with pytest.raises(ValueError):
        result.latencies(3)


def test_numpy_values_and_lists_render_as_yaml_overrides(quickstart):
    variant = quickstart.with_overrides({
        "topology.links.backhaul.loss": numpy.float64(0.25),
        "clients.sensor.count": numpy.int64(3),
        "clients.dashboard.subscribe": [{"filter": "sensors/#", "qos": 1}],
    })
    assert variant.overrides == (
        "topology.links.backhaul.loss=0.25", "clients.sensor.count=3",
        'clients.dashboard.subscribe=[{"filter": "sensors/#", "qos": 1}]')
    assert mqttsim.run(variant).qos(1)["expected"] > 0


def test_garbage_never_crashes_the_interpreter(quickstart):
    for text in ["", "[]", "- 1\n- 2", ":", "name: {{{", "\x00\x01", "clients: 5",
                 "clients: {a: {count: 99999999999999999999}}", "duration: -5s\nclients: {}"]:
        with pytest.raises(mqttsim.ScenarioError):
            mqttsim.Scenario(text)
    with pytest.raises(ValueError, match="bad override key"):
        quickstart.with_overrides({"": 1})
    with pytest.raises(mqttsim.ScenarioError, match="not an index"):
        quickstart.with_overrides({"expect.99": "sent > 0 for qos 1"})
