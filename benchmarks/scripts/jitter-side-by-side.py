#!/usr/bin/env python3
"""Native jitter probe next to cyclictest, idle and under stress-ng load, on the same machine.

Each condition runs `isochron jitter` (the native probe, via the command-line jar) and cyclictest
at the same time, both SCHED_FIFO at the same priority and cycle, for SECONDS. The percentiles of
both are taken from 1 µs histograms with the same rule (HdrHistogram's: the smallest latency at or
below which the percentile's share of samples lies). CPU overhead: the probe thread's on-CPU time
(its schedstat) and cyclictest's whole process (rusage), each over the wall time.

usage: jitter-side-by-side.py [SECONDS] [OUTPUT]      (defaults: 60 s, docs/bench/jitter.txt)
Needs: a built bundles/io.isochron.cli/target/isochron-cli.jar, root, rt-tests and stress-ng.
"""
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.path.join(ROOT, "bundles", "io.isochron.cli", "target", "isochron-cli.jar")
INTERVAL_US = 1000
PRIORITY = 80
HIST_US = 20000
STRESS = ["stress-ng", "--cpu", "2", "--vm", "1", "--vm-bytes", "256M", "--switch", "1", "--quiet"]


def percentile(hist, total, p):
    """HdrHistogram's getValueAtPercentile over 1 µs buckets."""
    wanted = max(1, int(p / 100.0 * total + 0.5))
    seen = 0
    for value, count in enumerate(hist):
        seen += count
        if seen >= wanted:
            return value
    return len(hist)


def read_histfile(path):
    hist = [0] * HIST_US
    meta = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                if ":" in line:
                    key, _, rest = line[1:].partition(":")
                    meta[key.strip()] = rest.split()
                continue
            parts = line.split()
            if len(parts) >= 2:
                hist[int(parts[0])] = int(parts[1])
    total = sum(hist) + int(meta.get("Histogram Overflows", ["0"])[0])
    return {
        "samples": total,
        "min": int(meta["Min Latencies"][0]),
        "avg": int(meta["Avg Latencies"][0]),
        "max": int(meta["Max Latencies"][0]),
        "p99": percentile(hist, total, 99.0),
        "p999": percentile(hist, total, 99.9),
        "overflow": int(meta.get("Histogram Overflows", ["0"])[0]),
    }


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run(condition, seconds, workdir):
    stress = None
    if condition == "stress-ng":
        stress = subprocess.Popen(STRESS + ["--timeout", str(seconds + 15)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(3)
    load_before = loadavg()
    histfile = os.path.join(workdir, f"cyclictest-{condition}.hist")
    ct = subprocess.Popen(["cyclictest", "--mlockall", f"--priority={PRIORITY}", f"--interval={INTERVAL_US}",
                           "--distance=0", f"--duration={seconds}", "--quiet", f"--histogram={HIST_US}",
                           f"--histfile={histfile}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.monotonic()
    probe = subprocess.Popen(["java", "-jar", CLI, "jitter", "--interval-us", str(INTERVAL_US), "--duration",
                              str(seconds), "--priority", str(PRIORITY), "--json", "--out",
                              os.path.join(workdir, condition)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    probe_out, probe_err = probe.communicate()
    _, status, usage = os.wait4(ct.pid, 0)
    ct.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    load_after = loadavg()
    if stress is not None:
        stress.terminate()
        stress.wait()
    if probe.returncode != 0 or ct.returncode != 0:
        sys.exit(f"{condition}: probe exit {probe.returncode} ({probe_err.decode().strip()}), "
                 f"cyclictest exit {ct.returncode} ({ct.stderr.read().decode().strip()})")
    p = json.loads(probe_out)
    c = read_histfile(histfile)
    c["cpu"] = (usage.ru_utime + usage.ru_stime) * 100.0 / wall
    return p, c, load_before, load_after


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    output = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "docs", "bench", "jitter.txt")
    for tool in ("cyclictest", "stress-ng", "java"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (Debian packages rt-tests, stress-ng; a JDK)")
    if not os.path.isfile(CLI):
        sys.exit(f"{CLI} missing; build it: mvn -B -q -DskipTests package -pl bundles/io.isochron.cli -am")
    lines = []
    uname = platform.uname()
    lines.append(f"# Native jitter probe vs cyclictest, {INTERVAL_US} µs cycle, SCHED_FIFO {PRIORITY}, {seconds} s each, "
                 f"both at the same time")
    lines.append(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, kernel "
                 f"{uname.release} {uname.version}")
    lines.append(f"# cyclictest: {subprocess.run(['cyclictest', '--help'], capture_output=True, text=True).stdout.splitlines()[0]}; "
                 f"load: {' '.join(STRESS)}")
    lines.append("# latencies in µs; ratio = probe / cyclictest; CPU = % of one CPU over the run")
    lines.append("")
    header = f"{'condition':<10} {'source':<11} {'samples':>8} {'min':>5} {'avg':>6} {'p99':>6} {'p99.9':>6} {'max':>7} " \
             f"{'CPU %':>6}  loadavg before -> after"
    lines.append(header)
    ratios = []
    with tempfile.TemporaryDirectory() as workdir:
        for condition in ("idle", "stress-ng"):
            p, c, before, after = run(condition, seconds, workdir)
            lines.append(f"{condition:<10} {'probe':<11} {p['samples']:>8} {p['minMicros']:>5.0f} {p['avgMicros']:>6.1f} "
                         f"{p['p99Micros']:>6.0f} {p['p999Micros']:>6.0f} {p['maxMicros']:>7.0f} {p['probeCpuPercent']:>6.2f}  "
                         f"{before} -> {after}")
            lines.append(f"{'':<10} {'cyclictest':<11} {c['samples']:>8} {c['min']:>5} {c['avg']:>6} {c['p99']:>6} "
                         f"{c['p999']:>6} {c['max']:>7} {c['cpu']:>6.2f}")
            ratios.append((condition, p["p99Micros"] / max(1, c["p99"]), p["maxMicros"] / max(1, c["max"])))
    lines.append("")
    for condition, p99, mx in ratios:
        lines.append(f"{condition:<10} p99 ratio {p99:.2f} (target <= 1.2)   max ratio {mx:.2f} (target <= 1.5)")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if output != "-":
        with open(output, "a" if os.path.exists(output) and os.environ.get("APPEND") else "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
