"""Shared fixtures of the Python tests: the repository's scenarios and the `mqttsim` executable
(the CLI the bindings must agree with)."""
import os
import subprocess

import pytest

import mqttsim

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = os.path.join(REPO, "scenarios")


@pytest.fixture
def quickstart_path():
    return os.path.join(SCENARIOS, "quickstart.yaml")


@pytest.fixture
def quickstart(quickstart_path):
    return mqttsim.Scenario.from_yaml(quickstart_path)


@pytest.fixture
def mqttsim_bin():
    try:
        return mqttsim.find_executable()
    except FileNotFoundError as e:
        pytest.skip(f"needs the mqttsim executable: {e}")


def run_cli(binary, *args, cwd=None):
    return subprocess.run([binary, *args], capture_output=True, text=True, check=False, cwd=cwd)
