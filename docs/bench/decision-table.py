#!/usr/bin/env python3
"""Turns JMH JSON results of DecisionBenchmark into the markdown table of docs/benchmarks.md.

usage: decision-table.py SAMPLE_TIME.json [AVERAGE_TIME.json]
The sample-time run gives the latency percentiles; the average-time run (if given) gives the
allocation per operation, which sample-time runs blur with JMH's own sample buffers.
"""
import json
import sys

sample = json.load(open(sys.argv[1]))
alloc = {}
if len(sys.argv) > 2:
    for b in json.load(open(sys.argv[2])):
        alloc[(b["params"]["policy"], b["params"]["shape"])] = b["secondaryMetrics"]["gc.alloc.rate.norm"]["score"]
print("| policy | vCPUs × pCPUs | mean ns | p50 ns | p99 ns | p99.9 ns | B/op |")
print("|---|---|---:|---:|---:|---:|---:|")
for b in sample:
    p = b["params"]
    m = b["primaryMetric"]
    pc = m["scorePercentiles"]
    key = (p["policy"], p["shape"])
    bytes_per_op = alloc.get(key, b["secondaryMetrics"]["gc.alloc.rate.norm"]["score"])
    print(f"| {p['policy']} | {p['shape'].replace('x', ' × ')} | {m['score']:.0f} | {pc['50.0']:.0f} | "
          f"{pc['99.0']:.0f} | {pc['99.9']:.0f} | {bytes_per_op:.4f} |")
