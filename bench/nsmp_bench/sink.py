"""Stand-in for a syslog daemon on /dev/log: binds a UNIX datagram socket and drains it.

Usage: python3 sink.py PATH COUNT_FILE. Writes the number of datagrams received to COUNT_FILE
when it gets SIGTERM. (The kernel queues at most net.unix.max_dgram_qlen datagrams, often 10,
so without a reader haproxy's log sends would mostly fail with EAGAIN.)
"""

import signal
import socket
import sys


def main():
    path, count_file = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(path)
    count = 0
    stop = False

    def on_term(_signo, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    buf = bytearray(65536)
    sock.settimeout(0.2)
    while not stop:
        try:
            sock.recv_into(buf)
            count += 1
        except (socket.timeout, InterruptedError):
            pass
    with open(count_file, "w") as f:
        f.write(f"{count}\n")


if __name__ == "__main__":
    main()
