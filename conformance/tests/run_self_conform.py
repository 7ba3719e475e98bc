#!/usr/bin/env python3
"""Runs `mqttsim conform` against `mqttsim broker` (BrokerCore behind the Asio TCP listener) on a
free loopback port: our own broker must pass every case over real sockets too."""
import os
import subprocess
import sys
import tempfile

MQTTSIM = os.environ["MQTTSIM_BIN"]


def main():
    broker = subprocess.Popen([MQTTSIM, "broker", "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = broker.stdout.readline()  # "mqttsim broker: listening on 127.0.0.1:PORT"
        port = int(line.rsplit(":", 1)[1])
        with tempfile.TemporaryDirectory() as out:
            run = subprocess.run([MQTTSIM, "conform", f"tcp://127.0.0.1:{port}", "--jobs", "4",
                                  "--quiet", "--out", out], capture_output=True, text=True,
                                 timeout=300)
        print(run.stdout.strip())
        print(run.stderr.strip())
        # No profile, so no declared deviations: everything must pass.
        ok = run.returncode == 0 and (" 0 fail, 0 deviation (declared), 0 stale, 0 skipped, "
                                      "0 inconclusive, 0 error") in run.stdout
        return 0 if ok else 1
    finally:
        broker.terminate()
        broker.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
