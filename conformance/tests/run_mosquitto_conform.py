#!/usr/bin/env python3
"""Runs `mqttsim conform` against a mosquitto started here on a free loopback port, for MQTT
3.1.1 and 5.0, with profiles/mosquitto.yaml. Its declared deviations make the exit code the CI
rule: 0 when every case passes, is skipped or inconclusive, or fails exactly as declared; 1 on
any undeclared failure or error and on a stale declaration (a declared case that passed). The
reports must show each declared deviation with its evidence."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))
import real_brokers  # noqa: E402

MQTTSIM = os.environ["MQTTSIM_BIN"]
PROFILE = HERE / "profiles" / "mosquitto.yaml"


def start_mosquitto(workdir, tls=False):
    files = None
    if tls:
        files = tuple(str(pathlib.Path(workdir) / f) for f in ("ca.crt", "server.crt", "server.key"))
    broker = real_brokers.start_mosquitto(workdir, files)
    return broker, broker.port


def check_reports(out, failures):
    """Every declared deviation is in all three reports, with its evidence."""
    report = json.loads((out / "report.json").read_text())
    junit = (out / "junit.xml").read_text()
    html = (out / "report.html").read_text()
    for case in report["cases"]:
        if case["verdict"] != "deviation":
            continue
        name = f"{case['mqtt_version']} {case['id']}"
        if not case.get("declared_deviation") or not case.get("evidence"):
            failures.append(f"{name}: deviation without its declaration or evidence in report.json")
        if f'name="{case["id"]}:' not in junit or 'type="deviation"' not in junit:
            failures.append(f"{name}: not a declared deviation in junit.xml")
        if case["id"] not in html.split("<h2>Declared deviations</h2>", 1)[-1]:
            failures.append(f"{name}: not under 'Declared deviations' in report.html")
    return report


def check_tls(work, failures):
    """The same harness over TLS: verified against our CA it runs; unverified it cannot."""
    ca = real_brokers.make_certificates(work)
    broker, port = start_mosquitto(work, tls=True)
    try:
        base = [MQTTSIM, "conform", f"tls://localhost:{port}", "--only", "connect.pingreq",
                "--out", str(pathlib.Path(work) / "tls-report")]
        ok = subprocess.run(base + ["--cafile", str(ca)], capture_output=True, text=True)
        if ok.returncode != 0 or "2 pass" not in ok.stdout:
            failures.append("TLS with --cafile: " + ok.stdout + ok.stderr)
        refused = subprocess.run(base, capture_output=True, text=True)
        if refused.returncode == 0 or "unreachable" not in refused.stderr:
            failures.append("TLS without the CA should fail verification: " + refused.stdout)
        print("TLS:", ok.stdout.strip())
    finally:
        broker.stop()


def check_stale(work, port, failures):
    """A declaration of a case mosquitto passes is stale: reported so, and the exit code is 1."""
    profile = pathlib.Path(work) / "stale.yaml"
    profile.write_text("deviations:\n  - case: connect.pingreq\n    reason: it answers, really\n")
    run = subprocess.run([MQTTSIM, "conform", f"tcp://127.0.0.1:{port}", "--mqtt", "3.1.1",
                          "--only", "connect.pingreq", "--profile", str(profile), "--out",
                          str(pathlib.Path(work) / "stale-report")], capture_output=True, text=True)
    if run.returncode != 1 or "1 stale" not in run.stdout or "stale declaration" not in run.stderr:
        failures.append("a stale declaration must fail the run: " + run.stdout + run.stderr)


def main():
    failures = []
    with tempfile.TemporaryDirectory() as work:
        broker, port = start_mosquitto(work)
        try:
            for version in ("3.1.1", "5"):
                out = pathlib.Path(work) / f"report-{version}"
                started = time.monotonic()
                run = subprocess.run([MQTTSIM, "conform", f"tcp://127.0.0.1:{port}", "--mqtt",
                                      version, "--profile", str(PROFILE), "--jobs", "4", "--quiet",
                                      "--out", str(out)],
                                     capture_output=True, text=True, timeout=300)
                elapsed = time.monotonic() - started
                print(run.stdout.strip(), f"({elapsed:.1f} s wall)")
                if run.returncode != 0:
                    failures.append(f"MQTT {version}: exit {run.returncode}, not every failure is a "
                                    f"declared deviation (or one is stale):\n{run.stderr}")
                report = check_reports(out, failures)
                if report["summary"]["deviation"] == 0:
                    failures.append(f"MQTT {version}: no declared deviation failed as declared")
            check_stale(work, port, failures)
        finally:
            broker.stop()
        check_tls(work, failures)
    for f in failures:
        print("UNEXPECTED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
