#!/usr/bin/env python3
"""Summarises `isochron evaluate --json` reports as the markdown tables of docs/results.md."""
import json
import sys

reports = [json.load(open(p)) for p in sys.argv[1:]]

print("### Overload and response time\n")
print("| candidate | load | baseline overloaded | eliminated | candidate overloaded "
      "| response ratio p10 / p50 / p90 (max) | makespan >5 % longer |")
print("|---|---:|---:|---:|---:|---|---:|")
for r in reports:
    for l in r["loads"]:
        rr = l["responseRatio"]
        print(f"| {r['candidate']} | {l['load']:.1f} | {l['overloadedScenarios']} / {l['scenarios']} "
              f"| {l['overloadEliminated']} | {l['candidateOverloaded']} "
              f"| {rr['p10']:.2f} / {rr['p50']:.2f} / {rr['p90']:.2f} ({rr['max']:.2f}) | {l['worseMakespan']} |")

print("\n### Peak reduction per component (percent of the baseline peak; p10 / p50 / p90, mean)\n")
cats = ["GPU", "RAM", "CACHE", "ETHERNET", "BUS", "STORAGE"]
print("| candidate | load | " + " | ".join(cats) + " | scenarios with a higher peak |")
print("|---|---:|" + "---|" * len(cats) + "---:|")
for r in reports:
    for l in r["loads"]:
        cells = []
        for c in cats:
            s = l["peakReductionPercent"].get(c)
            cells.append("-" if s is None else f"{s['p10']:.0f} / {s['p50']:.0f} / {s['p90']:.0f}, {s['mean']:.1f}")
        print(f"| {r['candidate']} | {l['load']:.1f} | " + " | ".join(cells) + f" | {l['higherPeak']} |")
