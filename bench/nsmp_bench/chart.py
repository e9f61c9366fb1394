"""PNG chart: requests/s and CPU per request for each proxy at each connection count."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import proxies, report  # noqa: E402


def draw(data, path):
    med = report.medians(data)
    if not med:
        return
    series = sorted({(p, mode) for p, mode, _ in med},
                    key=lambda s: (s[1] != "close", report._order(s[0])))
    conns = sorted({c for _, _, c in med})
    fig, axes = plt.subplots(1, 2, figsize=(14, 6.5))
    width = 0.8 / len(series)
    for ax, metric, title in ((axes[0], "rps", "requests/s (higher is better)"),
                              (axes[1], "cpu_us_per_req",
                               "proxy CPU µs per request (lower is better)")):
        for i, (p, mode) in enumerate(series):
            xs = [j + (i - (len(series) - 1) / 2) * width for j in range(len(conns))]
            ys = [med.get((p, mode, c), {}).get(metric, 0) for c in conns]
            ax.bar(xs, ys, width, label=f"{proxies.BY_KEY[p].label} [{mode} backend]",
                   hatch="//" if mode == "keepalive" else None,
                   edgecolor="black", linewidth=0.4)
        ax.set_xticks(range(len(conns)))
        ax.set_xticklabels([f"{c} conns" for c in conns])
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("ns-metadata-proxy vs haproxy vs nginx (proxy on CPU 0; wrk + backend on CPU 1)")
    fig.tight_layout(rect=(0, 0.06 + 0.03 * ((len(series) - 1) // 3), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
