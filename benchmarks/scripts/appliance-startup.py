#!/usr/bin/env python3
"""Start-up time and resident memory of the appliance image (sim profile).

Starts image/target/isochron/bin/isochron the way systemd does (no console, NOTIFY_SOCKET set) and
measures the time from process start to READY=1 (sent once the scheduler is attached to the
simulated hypervisor and deciding). Repeats that RUNS times with a fresh state directory, then keeps
one instance running for SOAK seconds and reads its resident set size (VmRSS, VmHWM) from /proc.

usage: appliance-startup.py [RUNS] [SOAK_SECONDS]     (defaults: 5 runs, 60 s)
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(ROOT, "image", "target", "isochron", "bin", "isochron")


def start(workdir):
    sock_path = os.path.join(workdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    t0 = time.monotonic()
    proc = subprocess.Popen([LAUNCHER, "run", "--no-shell", "--var", os.path.join(workdir, "var")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock.settimeout(60)
    while True:
        msg = sock.recv(4096).decode()
        if "READY=1" in msg:
            return proc, time.monotonic() - t0, sock


def rss_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def stop(proc, sock):
    proc.terminate()
    proc.wait(timeout=30)
    sock.close()


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    soak = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            proc, ready, sock = start(d)
            times.append(ready)
            stop(proc, sock)
    print(f"start-up to READY=1 over {runs} cold starts (fresh state directory): "
          f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    with tempfile.TemporaryDirectory() as d:
        proc, ready, sock = start(d)
        time.sleep(soak)
        mem = rss_kib(proc.pid)
        stop(proc, sock)
    print(f"resident memory after {soak} s running the default plant: "
          f"VmRSS {mem['VmRSS'] / 1024:.0f} MiB, peak VmHWM {mem['VmHWM'] / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
