#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ndctl_report.py RESULTS RUN...: the table of make ndctl (harness/ndctl.sh).

Each run's results.txt (guest/ndctl.sh) has a line per script: name,
pass|fail|skip, exit status, seconds. The table has a row per script, bus
and driver, with what the unpatched kernel and the series did. Exit status
1 when the series fails a script the unpatched kernel passes, or when the
two drivers differ on a script.
"""
import os
import sys

E820_SCRIPTS = {"dax-ext4.sh", "dax-xfs.sh"}
# The project's own checks, run after ndctl's: they must pass on the series.
OWN = {"nfit-salvage.sh": "nfit-salvage.sh (the series' dax_salvage: IGNORE read, RESET repair)"}


def load(results, run):
    out = {}
    path = os.path.join(results, run, "results.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 4:
                out[parts[0]] = (parts[1], int(parts[3]))
    return out


def cell(res, name):
    if res is None:
        return "(no run)"
    if name not in res:
        return "-"
    status, secs = res[name]
    return f"{status} ({secs} s)"


def main():
    results, runs = sys.argv[1], sys.argv[2:]
    got = {r: load(results, r) for r in runs}
    rows, bad = [], []
    names = []
    for r in runs:
        for name in (got[r] or {}):
            if name not in names:
                names.append(name)
    base, series = got.get("nfit-base"), got.get("nfit-series")
    for name in names:
        bus = "e820 (nfit_test kernel)" if name in E820_SCRIPTS else "nfit_test"
        if "nfit-base" in runs or "nfit-series" in runs:
            if (base and name in base) or (series and name in series):
                rows.append((OWN.get(name, name), bus, "nd_pmem", cell(base, name), cell(series, name)))
                if name in OWN and series and series.get(name, ("none",))[0] != "pass":
                    bad.append(f"{name} on nfit_test: {series.get(name, ('not run',))[0]} with the series")
                if base and series and name in base and \
                        base[name][0] == "pass" and series.get(name, ("none",))[0] != "pass":
                    bad.append(f"{name} on nfit_test: passes unpatched, {series.get(name, ('not run',))[0]} with the series")
    drv = {}
    for d in ("nd_pmem", "rust_pmem"):
        r = f"e820-{d}"
        if r in runs:
            drv[d] = got[r]
            for name in (got[r] or {}):
                ref = cell(base, name) if d == "nd_pmem" and base and name in base else "-"
                rows.append((name, "e820 (test-bed kernel)", d, ref, cell(got[r], name)))
                if ref.startswith("pass") and got[r][name][0] != "pass":
                    bad.append(f"{name} on e820 with {d}: passes unpatched, {got[r][name][0]} with the series")
    if len(drv) == 2 and all(drv.values()):
        for name in set(drv["nd_pmem"]) | set(drv["rust_pmem"]):
            a = drv["nd_pmem"].get(name, ("none",))[0]
            b = drv["rust_pmem"].get(name, ("none",))[0]
            if a != b:
                bad.append(f"{name} on e820: nd_pmem {a}, rust_pmem {b}")
    for r in runs:
        if got[r] is None:
            bad.append(f"{r}: no results")
    print("| test | bus | driver | unpatched | patched |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for b in bad:
        print(f"\nREGRESSION: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
