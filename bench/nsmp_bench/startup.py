"""Start-up time and the memory of many idle instances."""

import statistics
import time

from . import procs


def exec_to_accept(proxy, opts, workdir, sock, runs, proxy_cpu):
    """Median time from fork/exec to (a) the port accepting a TCP connection and (b) the first
    200 answer through the proxy, over `runs` fresh starts. Returns seconds."""
    listen, first = [], []
    for i in range(runs):
        port = procs.free_ports(1)[0]
        cmd = proxy.command(opts, workdir, f"start{i}", port, sock)
        t0 = time.perf_counter()
        proc = procs.spawn(cmd, proxy_cpu)
        try:
            deadline = t0 + 10
            while True:  # busy poll: this process runs on the other core
                s = procs.try_connect(("127.0.0.1", port))
                if s:
                    t1 = time.perf_counter()
                    s.close()
                    break
                if proc.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"{proxy.key} did not start: {cmd}")
            status = procs.http_get(port)
            t2 = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"{proxy.key} answered {status} to its first request")
            listen.append(t1 - t0)
            first.append(t2 - t0)
        finally:
            procs.REGISTRY.stop(proc)
    return statistics.median(listen), statistics.median(first)


def many_instances(proxy, opts, workdir, sock, count, proxy_cpu):
    """Starts `count` instances on `count` ports, all alive at once; returns the summed RSS and
    PSS (KiB) of all their processes once idle, then ends them by pid."""
    ports = procs.free_ports(count)
    started = []
    try:
        for i, port in enumerate(ports):
            cmd = proxy.command(opts, workdir, f"many{i}", port, sock)
            started.append((procs.spawn(cmd, proxy_cpu), port))
        for proc, port in started:
            procs.wait_tcp(port, proc, timeout=30)
        time.sleep(1.0)
        pids = []
        for proc, _ in started:
            procs.REGISTRY.note_children(proc.pid)
            pids += procs.tree(proc.pid)
        rss, pss = procs.memory_kib(pids)
        return {"rss_kib": rss, "pss_kib": pss, "processes": len(pids)}
    finally:
        for proc, _ in started:
            procs.REGISTRY.stop(proc)
