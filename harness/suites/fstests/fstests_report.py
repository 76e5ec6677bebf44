#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""fstests_report.py RESULTS KERNEL...: the table of a make fstests run
(run.sh): one row per test and file system, one column per
kernel (base, nd_pmem, rust_pmem), from fstests' xunit reports
(RESULTS/<kernel>/<fs>/result.xml). Exits 1 if a driver fails a test the
base kernel passes, if the two drivers differ on a test, or if a kernel
has no results at all."""
import os
import sys
import xml.etree.ElementTree as ET

# peer_report.py, which the peer suites' reports share, is in harness/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from peer_report import DRIVERS, Report, differ, regressed, status


def load(path):
    res = {}
    if not os.path.exists(path):
        return res
    for tc in ET.parse(path).getroot().iter('testcase'):
        name = tc.get('name')
        skipped = tc.find('skipped')
        failure = tc.find('failure')
        if failure is not None:
            res[name] = ('fail', (failure.get('message') or '').strip())
        elif skipped is not None:
            res[name] = ('notrun', (skipped.get('message') or '').strip())
        else:
            res[name] = ('pass', tc.get('time', ''))
    return res


def cell(r):
    if r is None:
        return 'n/a'
    kind, why = r
    if kind == 'pass':
        return 'pass'
    return f'{kind}: {why}' if why else kind


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    base, kernels = argv[0], argv[1:]
    fss = sorted({fs for k in kernels if os.path.isdir(os.path.join(base, k))
                  for fs in os.listdir(os.path.join(base, k))})
    data = {(k, fs): load(os.path.join(base, k, fs, 'result.xml'))
            for k in kernels for fs in fss}
    rep = Report(['test', 'fs'] + kernels)
    counts = {k: {'pass': 0, 'fail': 0, 'notrun': 0} for k in kernels}
    for fs in fss:
        tests = sorted({t for k in kernels for t in data[(k, fs)]})
        for t in tests:
            got = {k: data[(k, fs)].get(t) for k in kernels}
            for k, r in got.items():
                if r:
                    counts[k][r[0]] += 1
            rep.row(t, fs, *(cell(got[k]) for k in kernels))
            for d in DRIVERS:
                if regressed(got.get('base'), got.get(d)):
                    rep.regression(f'{t} ({fs}): {d} fails, base passes')
            a, b = (got.get(d) for d in DRIVERS)
            if a and b and differ(a, b):
                rep.regression(f'{t} ({fs}): {DRIVERS[0]} {status(a)}, {DRIVERS[1]} {status(b)}')
    for k in kernels:
        c = counts[k]
        rep.summary.append(f'{k}: {c["pass"]} pass, {c["fail"]} fail, {c["notrun"]} notrun')
        if not any(data[(k, fs)] for fs in fss):
            rep.regression(f'{k}: no results')
    return rep.finish()


if __name__ == '__main__':
    sys.exit(main())
