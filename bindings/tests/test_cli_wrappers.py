"""mqttsim.check and mqttsim.conform run the `mqttsim` executable: real verdicts from a real
broker (the reference broker, `mqttsim broker`), and a clear error for what is not built."""
import os
import subprocess

import pytest

import mqttsim


@pytest.fixture
def reference_broker(mqttsim_bin):
    broker = subprocess.Popen([mqttsim_bin, "broker", "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = broker.stdout.readline()  # "mqttsim broker: listening on 127.0.0.1:PORT"
        assert "listening on" in line, line
        yield "tcp://" + line.strip().rsplit(" ", 1)[1]
    finally:
        broker.terminate()
        broker.wait(timeout=10)


def test_conform_runs_the_suite_and_returns_its_report(reference_broker, tmp_path):
    run = mqttsim.conform(reference_broker, only="connect.connack_first", out=tmp_path / "c")
    assert run.passed and run.returncode == 0
    assert run.report["schema"] == "mqttsim-conformance"
    assert run.report["summary"]["cases"] == 2  # one case, MQTT 3.1.1 and 5.0
    assert run.report["summary"]["pass"] == 2
    assert os.path.isfile(tmp_path / "c" / "junit.xml")


def test_conform_reports_an_unreachable_broker_as_a_failed_run(mqttsim_bin):
    run = mqttsim.conform("tcp://127.0.0.1:1", only="connect.connack_first", mqtt="3.1.1")
    assert not run.passed and run.returncode == 1
    assert run.report["summary"]["pass"] == 0
    assert run.out_dir and os.path.isdir(run.out_dir)


def test_conform_turns_usage_errors_into_value_errors(mqttsim_bin):
    with pytest.raises(ValueError, match="expected tcp://HOST:PORT"):
        mqttsim.conform("http://127.0.0.1:1883")
    with pytest.raises(TypeError):
        mqttsim.conform("tcp://127.0.0.1:1", jobs="four")
    with pytest.raises(TypeError):
        mqttsim.conform(1883)


def test_check_runs_the_exploration_and_the_cores_without_mutants_pass(mqttsim_bin, tmp_path):
    run = mqttsim.check(runs=5, seed=1, out=tmp_path / "check")
    assert run.returncode == 0


def test_a_bad_mqttsim_bin_is_named_in_the_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MQTTSIM_BIN", str(tmp_path / "nothing"))
    with pytest.raises(FileNotFoundError, match="MQTTSIM_BIN"):
        mqttsim.check()
