#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The table of a make fstests run: one row per test and file system, one
column per kernel (base, nd_pmem, rust_pmem), from fstests' xunit reports
(<results>/<kernel>/<fs>/result.xml). Exits 1 if a driver fails a test the
base kernel passes, or if the two drivers differ on a test."""
import os
import sys
import xml.etree.ElementTree as ET


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


def main():
    base, kernels = sys.argv[1], sys.argv[2:]
    fss = sorted({fs for k in kernels if os.path.isdir(os.path.join(base, k))
                  for fs in os.listdir(os.path.join(base, k))})
    data = {(k, fs): load(os.path.join(base, k, fs, 'result.xml'))
            for k in kernels for fs in fss}
    bad = []
    print('| test | fs | ' + ' | '.join(kernels) + ' |')
    print('|---|---|' + '---|' * len(kernels))
    counts = {k: {'pass': 0, 'fail': 0, 'notrun': 0} for k in kernels}
    for fs in fss:
        tests = sorted({t for k in kernels for t in data[(k, fs)]})
        for t in tests:
            row = [data[(k, fs)].get(t) for k in kernels]
            for k, r in zip(kernels, row):
                if r:
                    counts[k][r[0]] += 1
            print(f'| {t} | {fs} | ' + ' | '.join(cell(r) for r in row) + ' |')
            got = dict(zip(kernels, row))
            b = got.get('base')
            for d in ('nd_pmem', 'rust_pmem'):
                r = got.get(d)
                if r and r[0] == 'fail' and b and b[0] == 'pass':
                    bad.append(f'{t} ({fs}): {d} fails, base passes')
            if ('nd_pmem' in got and 'rust_pmem' in got and got['nd_pmem'] and
                    got['rust_pmem'] and got['nd_pmem'][0] != got['rust_pmem'][0]):
                bad.append(f'{t} ({fs}): nd_pmem {got["nd_pmem"][0]}, '
                           f'rust_pmem {got["rust_pmem"][0]}')
    print()
    for k in kernels:
        c = counts[k]
        print(f'{k}: {c["pass"]} pass, {c["fail"]} fail, {c["notrun"]} notrun')
    for b in bad:
        print(f'REGRESSION: {b}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
