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


def start_mosquitto(workdir, tls=False):
    port = free_port()
    conf = pathlib.Path(workdir) / "mosquitto.conf"
    text = f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
    if tls:
        text += "".join(f"{k} {pathlib.Path(workdir) / v}\n" for k, v in
                        (("cafile", "ca.crt"), ("certfile", "server.crt"), ("keyfile", "server.key")))
    conf.write_text(text)
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


def make_certificates(work):
    """A CA and a server certificate for localhost, readable by mosquitto's own user."""
    w = pathlib.Path(work)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=work)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
        "ca.crt", "-days", "2", "-subj", "/CN=mqttsim-test-ca")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
        "server.csr", "-subj", "/CN=localhost")
    (w / "ext.cnf").write_text("subjectAltName=DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf")
    os.chmod(work, 0o755)
    for f in w.iterdir():
        os.chmod(f, 0o644)
    return w / "ca.crt"


def check_tls(work, failures):
    """The same harness over TLS: verified against our CA it runs; unverified it cannot."""
    ca = make_certificates(work)
    proc, port = start_mosquitto(work, tls=True)
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
        proc.terminate()
        proc.wait(timeout=10)


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
        check_tls(work, failures)
    for f in failures:
        print("UNEXPECTED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
