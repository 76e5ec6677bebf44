#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ndctl_report.py RESULTS RUN...: the table of make ndctl (run.sh).

Each run's results.txt (guest/ndctl.sh) has a line per script: name,
pass|fail|skip, exit status, seconds. The table has a row per script, bus
and driver, with what the unpatched kernel and the series did. Exit status
1 when the series does not pass a script the unpatched kernel passes, when
the two drivers differ on a script, when the project's own checks do not
pass, or when a run has no results.
"""
import os
import sys

# peer_report.py, which the peer suites' reports share, is in harness/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from peer_report import DRIVERS, Report, differ, regressed, status

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
    st, secs = res[name]
    return f"{st} ({secs} s)"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    results, runs = argv[0], argv[1:]
    got = {r: load(results, r) for r in runs}
    rep = Report(["test", "bus", "driver", "unpatched", "patched"])
    names = []
    for r in runs:
        for name in (got[r] or {}):
            if name not in names:
                names.append(name)
    base, series = got.get("nfit-base") or {}, got.get("nfit-series") or {}
    if "nfit-base" in runs or "nfit-series" in runs:
        for name in names:
            if name not in base and name not in series:
                continue
            bus = "e820 (nfit_test kernel)" if name in E820_SCRIPTS else "nfit_test"
            rep.row(OWN.get(name, name), bus, "nd_pmem", cell(got.get("nfit-base"), name),
                    cell(got.get("nfit-series"), name))
            if name in OWN and status(series.get(name)) != "pass":
                rep.regression(f"{name} on nfit_test: {status(series.get(name), 'not run')} "
                               "with the series")
            elif got.get("nfit-series") is not None and \
                    regressed(base.get(name), series.get(name), strict=True):
                rep.regression(f"{name} on nfit_test: passes unpatched, "
                               f"{status(series.get(name), 'not run')} with the series")
    drv = {}
    for d in DRIVERS:
        r = f"e820-{d}"
        if r not in runs:
            continue
        drv[d] = got[r]
        for name in (got[r] or {}):
            # The unpatched kernel's e820 runs are nfit-base's, with nd_pmem.
            ref = base.get(name) if d == "nd_pmem" else None
            rep.row(name, "e820 (test-bed kernel)", d, cell(base, name) if ref else "-",
                    cell(got[r], name))
            if regressed(ref, got[r][name], strict=True):
                rep.regression(f"{name} on e820 with {d}: passes unpatched, "
                               f"{status(got[r][name])} with the series")
    if len(drv) == 2 and all(drv.values()):
        a, b = (drv[d] for d in DRIVERS)
        for name in sorted(set(a) | set(b)):
            if differ(a.get(name), b.get(name)):
                rep.regression(f"{name} on e820: {DRIVERS[0]} {status(a.get(name))}, "
                               f"{DRIVERS[1]} {status(b.get(name))}")
    for r in runs:
        if got[r] is None:
            rep.regression(f"{r}: no results")
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
