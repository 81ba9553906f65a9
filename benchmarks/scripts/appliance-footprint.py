#!/usr/bin/env python3
"""Start-up time, resident memory and CPU of the appliance as shipped (sim profile, default plant).

Starts image/target/isochron/bin/isochron the way systemd does (no console, NOTIFY_SOCKET set, no
--config: the shipped configuration, so OPC UA serves on 4840 and MQTT publishes to
127.0.0.1:1883), with a Mosquitto broker on 127.0.0.1:1883 when that port is free and mosquitto is
installed (so MQTT publishes rather than buffers). Measures:

  - time from process start to READY=1 over RUNS cold starts (fresh state directory each);
  - one instance after WARMUP seconds: resident memory (VmRSS) and, over the next WINDOW seconds,
    the CPU it used in percent of one core, with the threads that used most of it;
  - with --nmt, the JVM's own account of its memory (heap, metaspace, threads, code, GC, ...) via
    -XX:NativeMemoryTracking=summary and jcmd (slightly more memory while it runs).

usage: appliance-footprint.py [--runs N] [--warmup S] [--window S] [--nmt] [--java-opts "..."]
Environment: JAVA as for bin/isochron (default: java on the PATH).
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(ROOT, "image", "target", "isochron", "bin", "isochron")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def start(workdir, java_opts):
    sock_path = os.path.join(workdir, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path)
    if java_opts:
        env["ISOCHRON_JAVA_OPTS"] = (env.get("ISOCHRON_JAVA_OPTS", "") + " " + java_opts).strip()
    t0 = time.monotonic()
    proc = subprocess.Popen([LAUNCHER, "run", "--no-shell", "--var", os.path.join(workdir, "var")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock.settimeout(120)
    while True:
        if "READY=1" in sock.recv(4096).decode():
            return proc, time.monotonic() - t0, sock


def stop(proc, sock):
    proc.terminate()
    proc.wait(timeout=30)
    sock.close()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def ticks(stat_path):
    with open(stat_path) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def threads(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            out[tid] = (name, ticks(f"/proc/{pid}/task/{tid}/stat"))
        except OSError:
            pass
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--warmup", type=int, default=60)
    p.add_argument("--window", type=int, default=60)
    p.add_argument("--nmt", action="store_true")
    p.add_argument("--java-opts", default="")
    a = p.parse_args()

    broker = None
    if shutil.which("mosquitto") or os.path.exists("/usr/sbin/mosquitto"):
        if port_free(1883):
            broker = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-p", "1883"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
    print(f"broker: {'mosquitto on 127.0.0.1:1883' if broker else 'none started (MQTT buffers on disk)'}")
    try:
        times = []
        for _ in range(a.runs):
            with tempfile.TemporaryDirectory() as d:
                proc, ready, sock = start(d, a.java_opts)
                times.append(ready)
                stop(proc, sock)
        if times:
            print(f"start-up to READY=1 over {a.runs} cold starts: min {min(times):.2f} s, "
                  f"median {statistics.median(times):.2f} s, max {max(times):.2f} s")
        opts = a.java_opts + (" -XX:NativeMemoryTracking=summary" if a.nmt else "")
        with tempfile.TemporaryDirectory() as d:
            proc, _, sock = start(d, opts.strip())
            java_pid = proc.pid
            time.sleep(a.warmup)
            rss_start = rss_mib(java_pid)
            before = threads(java_pid)
            total_before = ticks(f"/proc/{java_pid}/stat")
            t0 = time.monotonic()
            time.sleep(a.window)
            seconds = time.monotonic() - t0
            total = (ticks(f"/proc/{java_pid}/stat") - total_before) / CLK_TCK / seconds * 100
            after = threads(java_pid)
            rss_end = rss_mib(java_pid)
            print(f"after {a.warmup} s: VmRSS {rss_start:.0f} MiB; after {a.warmup + a.window} s: "
                  f"VmRSS {rss_end:.0f} MiB")
            print(f"CPU over {a.window} s of steady state: {total:.2f} % of one core")
            by_name = {}
            for tid, (name, t) in after.items():
                used = t - before.get(tid, (name, 0))[1]
                by_name[name] = by_name.get(name, 0) + used
            top = sorted(by_name.items(), key=lambda kv: -kv[1])[:8]
            print("  threads: " + ", ".join(f"{n} {u / CLK_TCK / seconds * 100:.2f} %" for n, u in top if u > 0))
            if a.nmt:
                java = os.environ.get("JAVA", "java")
                jcmd = os.path.join(os.path.dirname(os.path.realpath(shutil.which(java) or java)), "jcmd")
                out = subprocess.run([jcmd, str(java_pid), "VM.native_memory", "summary", "scale=MB"],
                                     capture_output=True, text=True).stdout
                for line in out.splitlines():
                    s = line.strip()
                    if s.startswith("Total:") or (s.startswith("-") and "(reserved=" in s):
                        print("  nmt " + s.lstrip("- "))
            stop(proc, sock)
    finally:
        if broker:
            broker.terminate()
            broker.wait(timeout=10)


if __name__ == "__main__":
    main()
