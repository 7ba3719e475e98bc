#!/usr/bin/env python3
"""Runs `mqttsim conform` against a mosquitto started here on a free loopback port, for MQTT
3.1.1 and 5.0. Passes when every case passes or is skipped, except the known mosquitto
deviations listed in profiles/mosquitto.known, which must fail exactly as listed."""
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent.parent
MQTTSIM = os.environ["MQTTSIM_BIN"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def known_deviations():
    required, optional = set(), set()
    for line in (HERE / "profiles" / "mosquitto.known").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if parts[0] == "?":
            optional.add((parts[1], parts[2]))
        else:
            required.add((parts[0], parts[1]))
    return required, optional


def start_mosquitto(workdir):
    port = free_port()
    conf = pathlib.Path(workdir) / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("mosquitto did not start")


def main():
    required, optional = known_deviations()
    failures = []
    with tempfile.TemporaryDirectory() as work:
        proc, port = start_mosquitto(work)
        try:
            for version in ("3.1.1", "5"):
                out = pathlib.Path(work) / f"report-{version}"
                started = time.monotonic()
                run = subprocess.run([MQTTSIM, "conform", f"tcp://127.0.0.1:{port}", "--mqtt",
                                      version, "--profile", str(HERE / "profiles" / "mosquitto.yaml"),
                                      "--jobs", "4", "--quiet", "--out", str(out)],
                                     capture_output=True, text=True, timeout=300)
                elapsed = time.monotonic() - started
                print(run.stdout.strip(), f"({elapsed:.1f} s wall)")
                report = json.loads((out / "report.json").read_text())
                for case in report["cases"]:
                    key = (case["mqtt_version"], case["id"])
                    verdict = case["verdict"]
                    if verdict in ("pass", "skipped") and key not in required:
                        continue
                    if verdict == "fail" and (key in required or key in optional):
                        continue
                    failures.append(f"{key[0]} {key[1]}: {verdict} {case.get('broken_statement', '')}"
                                    f" {case['reason']}")
                for key in required:
                    if key[0] == ("5.0" if version == "5" else version) and not any(
                            (c["mqtt_version"], c["id"]) == key for c in report["cases"]):
                        failures.append(f"{key}: listed as known but not run")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for f in failures:
        print("UNEXPECTED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
