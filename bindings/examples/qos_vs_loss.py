#!/usr/bin/python3
"""What QoS 0, 1 and 2 deliver, and how fast, as a cellular uplink gets lossier.

Thirty sensors behind one LTE link (ten per QoS level) publish every second to a broker; an
application subscribes to all of them. The sweep varies the link's packet loss over several
seeds, and the script plots delivery ratio and latency (p50, p99) per QoS level to a PNG
(matplotlib needed for the chart; without it the table is printed and the script says so).

    PYTHONPATH=build/release/bindings /usr/bin/python3 bindings/examples/qos_vs_loss.py \
        --out qos_vs_loss.png [--seeds 5] [--dask]

MQTT runs over TCP here, so loss first shows as latency (retransmissions, head-of-line
blocking). Messages go missing when a connection breaks: QoS 0 ones are gone; QoS 1 and 2 ones
are sent again after the reconnect (persistent sessions), so what they miss at the highest loss
rates was still waiting at the publisher, unacknowledged, when the run ended.
"""
import argparse
import statistics
import sys

import mqttsim

LOSSES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5]


def sensors(qos):
    return {"count": 10, "attach": {"to": "gw", "profile": "ethernet"},
            "session": {"clean_start": False, "expiry": "1h"},
            "publish": {"topic": f"sensors/q{qos}/{{n}}", "every": "1s", "jitter": "100ms",
                        "qos": qos, "payload": 64}}


SCENARIO = {
    "name": "qos-vs-loss", "seed": 1, "duration": "3min",
    "topology": {"nodes": {"gw": "router"},
                 "links": {"radio": {"between": ["gw", "broker"], "profile": "lte",
                                     "loss": 0.0}}},
    "clients": {"q0": sensors(0), "q1": sensors(1), "q2": sensors(2),
                "app": {"attach": {"to": "broker", "profile": "ethernet"},
                        "session": {"clean_start": False, "expiry": "1h"},
                        "subscribe": [{"filter": "sensors/#", "qos": 2}]}},
    # Figures count messages published before the last 30 s, so slow ones can still arrive.
    "measure": {"settle": "30s"},
}


def summarise(table):
    """{qos: {field: [per-loss mean]}} over the seeds."""
    out = {}
    for qos in (0, 1, 2):
        fields = {"ratio": [], "p50_ms": [], "p99_ms": []}
        for loss in LOSSES:
            rows = [r for r in table if r["topology.links.radio.loss"] == loss]
            fields["ratio"].append(statistics.mean(r[f"qos{qos}_delivery_ratio"] for r in rows))
            for name, key in (("p50_ms", "p50"), ("p99_ms", "p99")):
                values = [r[f"qos{qos}_latency_{key}_ns"] for r in rows]
                values = [v / 1e6 for v in values if v is not None]
                fields[name].append(statistics.mean(values) if values else float("nan"))
        out[qos] = fields
    return out


def print_table(summary, table):
    print(f"{'loss':>6} " + " ".join(f"{'QoS ' + str(q) + ' ratio':>12} {'p50 ms':>8} {'p99 ms':>8}"
                                     for q in (0, 1, 2)) + f" {'breaks':>7}")
    for i, loss in enumerate(LOSSES):
        breaks = sum(r["connection_breaks"] for r in table
                     if r["topology.links.radio.loss"] == loss)
        cells = " ".join(f"{summary[q]['ratio'][i]:12.4f} {summary[q]['p50_ms'][i]:8.1f} "
                         f"{summary[q]['p99_ms'][i]:8.1f}" for q in (0, 1, 2))
        print(f"{loss:6.2f} {cells} {breaks:7d}")


def plot(summary, path, seeds):
    from mqttsim.plotting import require_matplotlib
    plt = require_matplotlib()
    fig, (ratio_ax, latency_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for qos, colour in zip((0, 1, 2), ("tab:red", "tab:blue", "tab:green")):
        s = summary[qos]
        ratio_ax.plot(LOSSES, s["ratio"], "o-", color=colour, label=f"QoS {qos}")
        latency_ax.plot(LOSSES, s["p50_ms"], "o-", color=colour, label=f"QoS {qos} p50")
        latency_ax.plot(LOSSES, s["p99_ms"], "s--", color=colour, label=f"QoS {qos} p99")
    ratio_ax.set_xlabel("packet loss on the LTE link")
    ratio_ax.set_ylabel("delivery ratio")
    ratio_ax.set_title("delivered / expected")
    ratio_ax.legend()
    latency_ax.set_xlabel("packet loss on the LTE link")
    latency_ax.set_ylabel("publish → delivery latency (ms)")
    latency_ax.set_yscale("log")
    latency_ax.set_title("latency")
    latency_ax.legend(fontsize="small", ncol=3)
    fig.suptitle(f"mqttsim: 10 sensors per QoS over LTE, mean of {seeds} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="qos_vs_loss.png", help="the PNG to write")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per loss rate")
    parser.add_argument("--dask", action="store_true",
                        help="run on a local Dask cluster (python3-distributed) instead of a "
                             "process pool")
    args = parser.parse_args()
    scenario = mqttsim.Scenario.from_dict(SCENARIO)
    grid = {"topology.links.radio.loss": LOSSES}
    if args.dask:
        import distributed
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            table = mqttsim.sweep(scenario, grid, range(args.seeds),
                                  executor=client.get_executor())
    else:
        table = mqttsim.sweep(scenario, grid, range(args.seeds))
    summary = summarise(table)
    print_table(summary, table)
    try:
        plot(summary, args.out, args.seeds)
    except ImportError as e:
        print(f"no chart: {e}", file=sys.stderr)
        return 0
    print(f"chart: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
