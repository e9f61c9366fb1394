"""Entry point of bench/run.sh: runs every proxy side by side and writes the report."""

import argparse
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nsmp_bench import (chart, configs, hostinfo, load, microbench, procs, proxies,  # noqa
                        report, startup)

PROXY_CPU, LOAD_CPU = 0, 1
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args(argv):
    p = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="development mode: 2 s runs, 1 repetition, 10 instances, 5 starts")
    p.add_argument("--duration", type=int, help="seconds per wrk run (default 10)")
    p.add_argument("--reps", type=int, help="repetitions per point, medians reported (default 3)")
    p.add_argument("--conns", default="1,16,256", help="wrk connection counts")
    p.add_argument("--instances", type=int, help="instances started at once for PSS (100)")
    p.add_argument("--starts", type=int, help="starts for the exec-to-accept median (20)")
    p.add_argument("--proxies", default=",".join(p.key for p in proxies.ALL),
                   help="which proxies (" + ",".join(p.key for p in proxies.ALL) + ")")
    p.add_argument("--backends", default="close,keepalive",
                   help="backend modes: close (as Neutron's agent) and keepalive; on the "
                        "keep-alive backend only proxies that reuse upstream connections run, "
                        "plus ours and haproxy with Neutron's config")
    p.add_argument("--bin", default=os.environ.get("BIN"),
                   help="ns-metadata-proxy binary (default $BIN, then build-bench/, build/)")
    p.add_argument("--ours-args", default="", help="extra arguments for our binary")
    p.add_argument("--log", choices=["file", "null"], default="file",
                   help="access logs of ours and nginx: to a file in the temp dir, or discarded")
    p.add_argument("--haproxy-log", choices=["sink", "devlog", "none"], default="sink",
                   help="haproxy's `log` target: a drained UNIX datagram socket standing in for "
                        "syslog (default), the literal /dev/log, or no log line")
    p.add_argument("--no-syscalls", action="store_true", help="skip the perf/strace runs")
    p.add_argument("--no-profile", action="store_true", help="skip perf record of our engine")
    p.add_argument("--no-memory", action="store_true", help="skip the many-instances run")
    p.add_argument("--no-startup", action="store_true", help="skip exec-to-accept")
    p.add_argument("--no-microbench", action="store_true",
                   help="skip head_rewrite_bench (run when built next to the binary)")
    p.add_argument("--out", default=os.path.join(REPO, "bench", "results"))
    p.add_argument("--keep", action="store_true", help="keep the temp dir (configs, logs)")
    p.add_argument("--render", metavar="JSON",
                   help="only rewrite the .md and .png of an earlier run from its .json")
    a = p.parse_args(argv)
    q = a.quick
    a.duration = a.duration or (2 if q else 10)
    a.reps = a.reps or (1 if q else 3)
    a.instances = a.instances or (10 if q else 100)
    a.starts = a.starts or (5 if q else 20)
    a.conns = [int(c) for c in a.conns.split(",")]
    a.proxies = [proxies.BY_KEY[k] for k in a.proxies.split(",")]
    a.backends = a.backends.split(",")
    return a


def find_bin(given):
    if given:
        return given
    for d in ("build-bench", "build"):
        path = os.path.join(REPO, d, "src", "app", "ns-metadata-proxy")
        if os.access(path, os.X_OK):
            return path
    return None


def start_backend(workdir, keepalive):
    name = "ka" if keepalive else "close"
    sock = os.path.join(workdir, f"backend-{name}.sock")
    conf = os.path.join(workdir, f"backend-{name}.conf")
    with open(conf, "w") as f:
        f.write(configs.backend_conf(workdir, sock, keepalive))
    proc = procs.spawn(["nginx", "-p", workdir, "-e", os.path.join(workdir, f"backend-{name}.err"),
                        "-c", conf], LOAD_CPU)
    procs.wait_unix(sock, proc)
    # The identity check must be live: a request without the headers gets 400.
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = s.recv(100)
    if b" 400 " not in reply:
        raise RuntimeError(f"backend does not check the identity headers: {reply!r}")
    return proc, sock


def plan(args):
    """(proxy, backend mode) pairs to run."""
    out = []
    for mode in args.backends:
        for p in args.proxies:
            if proxies.runs_on(p, mode):
                out.append((p, mode))
    return out


def run(args, workdir, data):
    opts = proxies.Options(ours_bin=find_bin(args.bin), ours_args=args.ours_args.split(),
                           log_mode=args.log)
    if any(p.kind == "ours" for p in args.proxies) and not opts.ours_bin:
        print("note: no ns-metadata-proxy binary found (build it or pass --bin); skipping ours")
        args.proxies = [p for p in args.proxies if p.kind != "ours"]
    data["ours_bin"] = opts.ours_bin
    if args.haproxy_log == "sink":
        opts.haproxy_log = os.path.join(workdir, "log.sock")
        sink = procs.spawn([sys.executable, os.path.join(os.path.dirname(__file__), "sink.py"),
                            opts.haproxy_log, os.path.join(workdir, "log.count")], LOAD_CPU)
        procs.wait_unix_dgram(opts.haproxy_log, sink)
    elif args.haproxy_log == "devlog":
        opts.haproxy_log = "/dev/log"
    socks = {}
    for mode in args.backends:
        _, socks[mode] = start_backend(workdir, mode == "keepalive")

    pairs = plan(args)
    inst = {}
    for p, mode in pairs:
        port = procs.free_ports(1)[0]
        proc = procs.spawn(p.command(opts, workdir, mode, port, socks[mode]), PROXY_CPU)
        procs.wait_tcp(port, proc)
        procs.REGISTRY.note_children(proc.pid)
        inst[(p.key, mode)] = (proc, port)
    time.sleep(1.0)
    mem = data["memory"]
    for (key, mode), (proc, port) in inst.items():
        # Idle: started, one probe connection, no request yet.
        rss, pss = procs.memory_kib(procs.tree(proc.pid))
        mem[f"{key}/{mode}"] = {"rss_idle_kib": rss, "pss_idle_kib": pss}
        status = procs.http_get(port)
        if status != 200:
            raise RuntimeError(f"{key} on the {mode} backend answered {status}")

    log(f"warm-up ({len(inst)} instances)")
    for (key, mode), (proc, port) in inst.items():
        load.run_wrk(port, 16, 1, LOAD_CPU)
    runs = data["runs"]
    total = args.reps * len(args.conns) * len(inst)
    done = 0
    # Interleaved (rep, conns, proxy) so that drift in the machine's load hits all alike.
    for rep in range(args.reps):
        for conns in args.conns:
            for (key, mode), (proc, port) in inst.items():
                res = load.measured_run(proc.pid, port, conns, args.duration, LOAD_CPU)
                runs.setdefault(f"{key}/{mode}/{conns}", []).append(res)
                done += 1
                log(f"[{done}/{total}] {key:<10} {mode:<9} c={conns:<3} {res['rps']:>9.0f} req/s "
                    f"p99 {res['p99_us']:>8.0f}us cpu {res['cpu_us_per_req']:.1f}us/req "
                    f"errors {res['errors']}")
                time.sleep(0.3)
    for (key, mode), (proc, _) in inst.items():
        rss, pss = procs.memory_kib(procs.tree(proc.pid))
        mem[f"{key}/{mode}"].update({"rss_load_kib": rss, "pss_load_kib": pss})

    if not args.no_syscalls:
        secs = 1 if args.quick else 3
        for (key, mode), (proc, port) in inst.items():
            log(f"syscalls: {key} {mode}")
            tag = f"{key}-{mode}"
            s = load.syscalls_total(proc.pid, port, 16, secs, LOAD_CPU, workdir, tag)
            s["breakdown_tool"], s["breakdown"] = load.syscalls_breakdown(
                proc.pid, port, 16, secs, LOAD_CPU, workdir, tag)
            data["syscalls"][f"{key}/{mode}"] = s
    if not args.no_profile:
        for (key, mode), (proc, port) in inst.items():
            if key in ("ours", "haproxy") and mode == "close":
                log(f"profile: {key}")
                data["profiles"][key] = load.profile(proc.pid, port, 16, 2 if args.quick else 5,
                                                     LOAD_CPU, workdir, key)
    for proc, _ in inst.values():
        procs.REGISTRY.stop(proc)

    kinds = {}
    for p in args.proxies:
        kinds.setdefault(p.kind, p)  # first proxy of each kind stands for it
    sock = socks["close"] if "close" in socks else next(iter(socks.values()))
    for kind, p in kinds.items():
        if not args.no_startup:
            log(f"exec-to-accept: {p.key} x{args.starts}")
            listen, first = startup.exec_to_accept(p, opts, workdir, sock, args.starts, PROXY_CPU)
            data["startup"][p.key] = {"listen_s": listen, "first_response_s": first}
        if not args.no_memory:
            log(f"{args.instances} instances: {p.key}")
            data["instances"][p.key] = startup.many_instances(p, opts, workdir, sock,
                                                              args.instances, PROXY_CPU)
    mb = microbench.find(REPO, opts.ours_bin)
    if mb and not args.no_microbench:
        log(f"head rewrite benchmark: {mb}")
        data["microbench"] = microbench.run(mb, PROXY_CPU, 0.2 if args.quick else 1.0)
    if args.haproxy_log == "sink":
        procs.REGISTRY.stop(sink)
        try:
            with open(os.path.join(workdir, "log.count")) as f:
                data["haproxy_log_lines"] = int(f.read())
        except (OSError, ValueError):
            pass


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def render(path):
    """Rewrites the .md and .png of an earlier run from its .json."""
    with open(path) as f:
        data = json.load(f)
    # Into bench/results/ (never over the input's neighbours, e.g. the curated RESULTS.md).
    name = os.path.basename(path)
    name = name[:-len(".json")] if name.endswith(".json") else name
    out = os.path.join(REPO, "bench", "results")
    os.makedirs(out, exist_ok=True)
    base = os.path.join(out, f"{name}-rendered")
    chart.draw(data, base + ".png")
    text = report.markdown(data, os.path.basename(base + ".png"))
    with open(base + ".md", "w") as f:
        f.write(text)
    print(text)
    print(f"written: {base}.md {base}.png")
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "--render":
        return render(argv[1])
    args = parse_args(argv)
    os.sched_setaffinity(0, {LOAD_CPU})
    for tool in ("wrk", "haproxy", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found: run NSMP_BENCH_DEPS=1 scripts/install-deps.sh")
    workdir = tempfile.mkdtemp(prefix="nsmp-bench-")
    os.chmod(workdir, 0o755)

    def on_signal(signo, _frame):
        raise KeyboardInterrupt(f"signal {signo}")

    # Installed explicitly: a shell's background job inherits SIGINT ignored.
    for signo in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signo, on_signal)
    data = {"args": {k: (v if not isinstance(v, list) or not v or not hasattr(v[0], "key")
                         else [p.key for p in v]) for k, v in vars(args).items()},
            "host": hostinfo.collect(REPO), "runs": {}, "memory": {}, "syscalls": {},
            "profiles": {}, "startup": {}, "instances": {}, "microbench": {}}
    started = time.time()
    try:
        run(args, workdir, data)
    except KeyboardInterrupt:
        print("interrupted; stopping everything this run started")
        return 130
    finally:
        procs.REGISTRY.kill_all()
        if args.keep:
            print(f"work dir kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    data["host"]["load_after"] = hostinfo.loadavg()
    data["elapsed_s"] = time.time() - started
    os.makedirs(args.out, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d-%H%M", time.localtime(started))
    base = os.path.join(args.out, stamp)
    with open(base + ".json", "w") as f:
        json.dump(data, f, indent=1)
    for key, text in data["profiles"].items():
        with open(f"{base}-profile-{key}.txt", "w") as f:
            f.write(text)
    png = base + ".png"
    chart.draw(data, png)
    text = report.markdown(data, os.path.basename(png))
    with open(base + ".md", "w") as f:
        f.write(text)
    print(text)
    print(f"written: {base}.md {png} {base}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
