"""The README's example script runs: a one-seed loss sweep, its table and its PNG."""
import os
import subprocess
import sys

from conftest import REPO


def test_qos_vs_loss_example_prints_the_table_and_writes_the_chart(tmp_path):
    png = tmp_path / "qos_vs_loss.png"
    done = subprocess.run(
        [sys.executable, os.path.join(REPO, "bindings", "examples", "qos_vs_loss.py"),
         "--seeds", "1", "--out", str(png)],
        capture_output=True, text=True, env=dict(os.environ), timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 7 and rows[0].split()[1] == "1.0000"  # no loss: everything delivered
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no chart: mqttsim plotting needs matplotlib" in done.stderr
    else:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
