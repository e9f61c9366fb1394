"""The Markdown report: tables of medians, ratios, and the issue's targets."""

import math
import re
import statistics

from . import configs, proxies

METRICS = ("rps", "p50_us", "p99_us", "cpu_us_per_req", "core_busy")


def medians(data):
    """{(proxy, mode, conns): {metric: median, errors: sum}}."""
    out = {}
    for key, runs in data["runs"].items():
        proxy, mode, conns = key.split("/")
        m = {k: statistics.median(r[k] for r in runs) for k in METRICS}
        m["errors"] = sum(r["errors"] for r in runs)
        rps = [r["rps"] for r in runs]
        m["spread"] = (max(rps) - min(rps)) / m["rps"] if m["rps"] else 0.0
        m["n"] = len(runs)
        out[(proxy, mode, int(conns))] = m
    return out


def f_us(us):
    if us is None or (isinstance(us, float) and math.isnan(us)):
        return "–"
    if us >= 10000:
        return f"{us / 1000:.1f} ms"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.0f} µs" if us >= 100 else f"{us:.1f} µs"


def f_mib(kib):
    return "–" if kib is None else f"{kib / 1024:.2f} MiB"


def f_ratio(a, b):
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return "–"
    return f"{a / b:.2f}×"


def label(key):
    return proxies.BY_KEY[key].label


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def header(data, png):
    h, a = data["host"], data["args"]
    sink = {"sink": "a UNIX datagram socket drained by a small reader on CPU 1 (stands in for "
                    "/dev/log)", "devlog": "/dev/log, as Neutron", "none": "nowhere (no log line)"}
    log_note = sink[a["haproxy_log"]]
    if "haproxy_log_lines" in data:
        log_note += f"; {data['haproxy_log_lines']} log lines received"
    body_len = len(configs.metadata_body())
    return f"""# ns-metadata-proxy benchmark

Machine: {h['cpu']}, {h['cpus']} CPUs, Linux {h['kernel']}. Load average before {h['load_before']},
after {h.get('load_after', '?')} (the machine is shared; figures move with that load).
Programs: ours `{data.get('ours_bin') or 'not run'}` at commit `{h['commit']}`; {h['haproxy']};
{h['nginx']}; {h['wrk'].split('[')[0].strip()}. Run took {data.get('elapsed_s', 0) / 60:.1f} min.

Method: every proxy runs on CPU 0 (affinity set before exec); wrk (one thread), the backend and
haproxy's log reader run on CPU 1. wrk sends keep-alive `GET {configs.REQUEST_PATH}` for
{a['duration']:g} s per run, {a['reps']} repetition(s), interleaved across proxies; medians are
shown. The backend is nginx on a UNIX socket answering a fixed {body_len}-byte JSON body, and 400
unless `X-Neutron-Network-ID` is the configured id, `X-Neutron-Router-ID` is absent and
`X-Forwarded-For` is exactly `127.0.0.1` (any such answer counts in *errors*). Backend *close*:
`keepalive_timeout 0`, a connection per request as Neutron's metadata agent; *keepalive*: the
backend keeps connections (as the eventlet agent of earlier releases), run for the proxies that
can reuse them, ours without reuse and haproxy with Neutron's config (which closes them
anyway). *ours, --upstream_keepalive 256* is our binary with agent connection reuse on; on the
close backend it would behave exactly as ours (the backend says `Connection: close`). CPU/req is
utime+stime of all the proxy's processes and threads over the run divided by the requests
(the figure least disturbed by wrk sharing a core); *core busy* is that CPU time over the wall
time: below ~90% the proxy was not the bottleneck. Access logs: {a['log']} (ours `--log-file`,
nginx `access_log`); haproxy logs to {log_note}. /dev/log on this machine: {h['dev_log']}.

![throughput and CPU per request]({png})
"""


def throughput(data, med):
    rows = []
    for (p, mode, c), m in sorted(med.items(), key=lambda kv: (kv[0][1] != "close", kv[0][2],
                                                                 _order(kv[0][0]))):
        rows.append([mode, label(p), c, f"{m['rps']:.0f}", f"±{m['spread'] * 50:.0f}%",
                     f_us(m["p50_us"]), f_us(m["p99_us"]),
                     f_us(m["cpu_us_per_req"]), f"{m['core_busy'] * 100:.0f}%", m["errors"]])
    return ("## Throughput, latency, CPU per request (medians)\n\n"
            "*spread*: half the range of req/s over the repetitions, relative to the median.\n\n"
            ) + _table(
        ["backend", "proxy", "conns", "req/s", "spread", "p50", "p99", "CPU/req", "core busy",
         "errors"],
        rows)


def _order(key):
    return [p.key for p in proxies.ALL].index(key)


def ratios(data, med):
    rows = []
    for (p, mode, c), m in sorted(med.items(), key=lambda kv: (kv[0][1] != "close", kv[0][2],
                                                                 _order(kv[0][0]))):
        if proxies.BY_KEY[p].kind != "ours":
            continue
        for base in proxies.BASELINES[mode]:
            b = med.get((base, mode, c))
            if not b:
                continue
            rows.append([mode, c, f"{label(p)} / {label(base)}", f_ratio(m["rps"], b["rps"]),
                         f_ratio(m["p99_us"], b["p99_us"]),
                         f_ratio(m["cpu_us_per_req"], b["cpu_us_per_req"])])
    if not rows:
        return ""
    return ("## Ours relative to haproxy and nginx (same backend, same connections)\n\n"
            "Above 1 is better for req/s, below 1 is better for p99 and CPU/req.\n\n"
            + _table(["backend", "conns", "ratio", "req/s", "p99", "CPU/req"], rows))


def memory(data):
    a = data["args"]
    rows = []
    seen_kind = set()
    for key in sorted(data["memory"], key=lambda k: (_order(k.split("/")[0]), k)):
        p, mode = key.split("/")
        m = data["memory"][key]
        kind_key = p
        inst = data["instances"].get(kind_key)
        st = data["startup"].get(kind_key)
        first = kind_key not in seen_kind
        seen_kind.add(kind_key)
        rows.append([label(p), mode, f_mib(m.get("rss_idle_kib")), f_mib(m.get("pss_idle_kib")),
                     f_mib(m.get("rss_load_kib")), f_mib(m.get("pss_load_kib")),
                     f_mib(inst["pss_kib"]) if inst and first else "",
                     f_us(st["listen_s"] * 1e6) if st and first else "",
                     f_us(st["first_response_s"] * 1e6) if st and first else ""])
    text = ("## Memory and start-up\n\n"
            f"RSS/PSS from /proc/<pid>/smaps_rollup summed over the proxy's processes; *PSS x"
            f"{a['instances']}*: {a['instances']} idle instances on {a['instances']} ports alive "
            "at once; exec→accept: median over "
            f"{a['starts']} starts from fork/exec until a TCP connect to the port succeeds, and "
            "until the first 200 came back through it.\n\n")
    text += _table(["proxy", "backend", "RSS idle", "PSS idle", "RSS after load",
                    "PSS after load", f"PSS x{a['instances']}", "exec→accept",
                    "exec→first 200"], rows)
    ours_inst, ours_st = data["instances"].get("ours"), data["startup"].get("ours")
    ratio_rows = []
    for base in ("haproxy", "nginx"):
        bi, bs = data["instances"].get(base), data["startup"].get(base)
        mo, mb = data["memory"].get("ours/close"), data["memory"].get(f"{base}/close")
        if not (mo and mb):
            continue
        ratio_rows.append([f"ours / {base}", f_ratio(mo["rss_idle_kib"], mb["rss_idle_kib"]),
                           f_ratio(mo["pss_idle_kib"], mb["pss_idle_kib"]),
                           f_ratio(ours_inst and ours_inst["pss_kib"], bi and bi["pss_kib"])
                           if ours_inst and bi else "–",
                           f_ratio(ours_st["listen_s"], bs["listen_s"])
                           if ours_st and bs else "–"])
    if ratio_rows:
        text += "\n" + _table(["ratio", "RSS idle", "PSS idle", f"PSS x{a['instances']}",
                               "exec→accept"], ratio_rows)
    return text


def syscalls(data):
    if not data["syscalls"]:
        return ""
    rows = []
    for key in sorted(data["syscalls"], key=lambda k: (k.split("/")[1] != "close",
                                                      _order(k.split("/")[0]))):
        s = data["syscalls"][key]
        p, mode = key.split("/")
        top = ", ".join(_syscall_cell(name, v) for name, v in list(s["breakdown"].items())[:9])
        rows.append([label(p), mode, f"{s['syscalls_per_req']:.2f}",
                     f"{s['ctxsw_per_req']:.3f}", top])
    tools = sorted({s.get("breakdown_tool", "strace") for s in data["syscalls"].values()})
    return ("## Syscalls per request (wrk, 16 connections)\n\n"
            "Totals from `perf stat -e raw_syscalls:sys_enter,context-switches` on the proxy's "
            f"processes; the mix from `{' / '.join(tools)}` in a second run (tracing slows the "
            "proxy, so epoll batching differs a little); failed calls (mostly EAGAIN) in "
            "brackets.\n\n"
            + _table(["proxy", "backend", "syscalls/req", "ctx switches/req",
                      "top syscalls per request"], rows))


def _syscall_cell(name, v):
    calls, errors = v if isinstance(v, (list, tuple)) else (v, 0)
    return f"{name} {calls:.2f}" + (f" ({errors:.2f})" if errors >= 0.01 else "")


def targets(data, med, ours="ours", mode="close"):
    """The issue's target rows for `ours` against haproxy with Neutron's config, both on the
    `mode` backend; memory and start-up only with the default binary on the close backend."""
    o = lambda c: med.get((ours, mode, c))  # noqa: E731
    h = lambda c: med.get(("haproxy", mode, c))  # noqa: E731
    if not (o(16) and h(16)):
        return ""
    rows = []

    def row(name, ours, base, want, ok, shown=f_ratio):
        rows.append([name, ours, base, shown, want, "yes" if ok else "**no**"])

    r = o(16)["cpu_us_per_req"] / h(16)["cpu_us_per_req"]
    row("CPU/req at 16 conns", f_us(o(16)["cpu_us_per_req"]), f_us(h(16)["cpu_us_per_req"]),
        "≤ 0.40×", r <= 0.4, f"{r:.2f}×")
    for c in (16, 256):
        if o(c) and h(c):
            r = o(c)["rps"] / h(c)["rps"]
            note = f"{r:.2f}×"
            if o(c)["core_busy"] < 0.9:
                note += (f" (ours' core {o(c)['core_busy'] * 100:.0f}% busy: wrk/backend bound, "
                         "see CPU/req)")
            row(f"req/s at {c} conns", f"{o(c)['rps']:.0f}", f"{h(c)['rps']:.0f}", "≥ 1.5×",
                r >= 1.5, note)
    r = o(16)["p99_us"] / h(16)["p99_us"]
    row("p99 at 16 conns", f_us(o(16)["p99_us"]), f_us(h(16)["p99_us"]), "≤ 1×", r <= 1,
        f"{r:.2f}×")
    if mode != "close":
        return (f"### With an agent that keeps connections: {label(ours)} vs haproxy with "
                f"Neutron's config, both on the keep-alive backend\n\n"
                + _table(["target", "ours", "haproxy", "ratio", "wanted", "met"], rows))
    mo = data["memory"].get("ours/close")
    if mo:
        row("idle RSS", f_mib(mo["rss_idle_kib"]),
            f_mib(data["memory"].get("haproxy/close", {}).get("rss_idle_kib")), "≤ 2 MiB",
            mo["rss_idle_kib"] <= 2048, "")
    oi, hi = data["instances"].get("ours"), data["instances"].get("haproxy")
    if oi and hi:
        r = oi["pss_kib"] / hi["pss_kib"]
        row(f"PSS of {data['args']['instances']} instances", f_mib(oi["pss_kib"]),
            f_mib(hi["pss_kib"]), "≤ 0.20×", r <= 0.2, f"{r:.2f}×")
    os_, hs = data["startup"].get("ours"), data["startup"].get("haproxy")
    if os_ and hs:
        r = os_["listen_s"] / hs["listen_s"]
        row("exec→accept", f_us(os_["listen_s"] * 1e6), f_us(hs["listen_s"] * 1e6), "≤ 0.20×",
            r <= 0.2, f"{r:.2f}×")
    return ("## Targets of issue 5 (ours vs haproxy with Neutron's config, close backend)\n\n"
            + _table(["target", "ours", "haproxy", "ratio", "wanted", "met"], rows))


def _perf_sections(rep):
    """The two `perf report` outputs profile() concatenated: by DSO, then by symbol."""
    parts = re.split(r"\n(?=# To display the perf.data header)", rep)
    return [p for p in parts if p.strip()]


def profiles(data):
    if not data["profiles"]:
        return ""
    text = "## Where the CPU goes (perf record -g, 16 connections, top symbols, self time)\n\n"
    for key, rep in data["profiles"].items():
        text += f"### {label(key)}\n\n"
        for part, limit in zip(_perf_sections(rep), (12, 30)):
            lines = [re.sub(r"(\s+-)+\s*$", "", ln) for ln in part.splitlines()
                     if ln.strip() and not ln.startswith("#")]
            text += "```\n" + "\n".join(lines[:limit]) + "\n```\n\n"
    return text


def microbench(data):
    mb = data.get("microbench")
    if not mb:
        return ""
    rows = [[name, f"{ns:.0f}"] for name, ns in mb.items()]
    return ("## Head rewrite (bench/head_rewrite_bench.cc, CPU ns per iteration)\n\n"
            "Scan + llhttp parse + checks + identity rewrite + serialise of one request head "
            "(and of one response head), on CPU 0.\n\n" + _table(["benchmark", "ns"], rows))


def markdown(data, png):
    med = medians(data)
    parts = [header(data, png), targets(data, med), targets(data, med, "ours-reuse", "keepalive"),
             throughput(data, med), ratios(data, med),
             memory(data), syscalls(data), microbench(data), profiles(data)]
    return "\n".join(p for p in parts if p)
