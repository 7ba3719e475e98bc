"""Charts with matplotlib, which is optional: Result.plot and the sweep example use it.

Importing matplotlib happens here only, so the package works without it and says clearly what
to install when a chart is asked for.
"""


def require_matplotlib():
    """matplotlib.pyplot on the non-interactive Agg backend, or a clear ImportError."""
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "mqttsim plotting needs matplotlib, which is not installed "
            "(Debian: apt install python3-matplotlib)") from e
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def plot_result(result, path=None):
    plt = require_matplotlib()
    import numpy
    fig, (cdf, timeline) = plt.subplots(1, 2, figsize=(11, 4))
    for qos, samples in sorted(result.latencies_by_qos.items()):
        if len(samples) == 0:
            continue
        ordered = numpy.sort(samples) / 1e6
        cdf.plot(ordered, numpy.arange(1, len(ordered) + 1) / len(ordered), label=f"QoS {qos}")
    cdf.set_xlabel("latency (ms)")
    cdf.set_ylabel("fraction of deliveries")
    cdf.set_title("latency CDF")
    cdf.legend(loc="lower right")
    buckets = result.metrics["timeline"]
    starts = [b["start_ns"] / 1e9 for b in buckets]
    for key in ("published", "delivered", "lost"):
        timeline.step(starts, [b[key] for b in buckets], where="post", label=key)
    timeline.set_xlabel("virtual time (s)")
    timeline.set_ylabel(f"messages per {result.metrics['bucket_ns'] / 1e9:g} s")
    timeline.set_title("over time")
    timeline.legend(loc="upper right")
    fig.suptitle(f"{result.scenario.name}  seed {result.seed}  digest {result.trace_digest}")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path)
    return fig
