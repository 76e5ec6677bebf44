#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a test VM run.

Reads the guest's output (KTAP from tools/testing/selftests/run_kselftest.sh,
one block per "# daxvm-suite: LABEL" marker) and the kernel log (KUnit KTAP,
Rust doctests included). Prints a summary and ends with exactly
"N passed, N failed" (", N skipped" when there are skips). Skips are never
counted as passes; a program or suite that did not report all its planned
results counts its missing results as failures. Exits 1 if anything failed.
"""
import argparse
import re
import sys

# A result's name ends at its "# " comment: a directive (SKIP, XFAIL, TODO)
# or the kselftest runner's "# exit=N" or "# TIMEOUT N seconds".
RESULT = re.compile(r'^(not )?ok (\d+)(?: - | )?(.*?)'
                    r'(?:\s+#\s*(?:(SKIP|XFAIL|TODO)\b\s*(.*)|.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)')
TSTAMP = re.compile(r'^\[\s*\d+\.\d+\]\s?')


class Tally:
    def __init__(self):
        self.passed, self.failed, self.skipped = 0, 0, 0
        self.failures = []

    def add(self, status, name):
        if status == 'pass':
            self.passed += 1
        elif status == 'skip':
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(name)


def status_of(m):
    neg, directive = m.group(1), (m.group(4) or '').upper()
    if directive == 'SKIP':
        return 'skip'
    if directive == 'XFAIL':
        return 'pass' if neg else 'fail'   # an XFAIL that passes is news
    return 'fail' if neg else 'pass'


def parse_selftests(lines, tally, report):
    """run_kselftest.sh output: top-level programs, nested "# " test cases."""
    suite = 'selftests'
    prog_plan = prog_seen = None
    cases = Tally()
    top_plan, top_seen = None, 0

    def close_program(name, top_ok):
        nonlocal prog_plan, prog_seen, cases
        missing = max(0, (prog_plan or 0) - prog_seen)
        for i in range(missing):
            cases.add('fail', f'{suite}: {name}: result {prog_seen + i + 1} missing')
        if not top_ok and cases.failed == 0 and top_ok is not None:
            cases.add('fail', f'{suite}: {name}: program failed (exit status)')
        if prog_plan is None and top_ok is not None and cases.passed + cases.skipped + cases.failed == 0:
            cases.add('pass' if top_ok else 'fail', f'{suite}: {name}')
        report.append((suite, name, cases))
        tally.passed += cases.passed
        tally.failed += cases.failed
        tally.skipped += cases.skipped
        tally.failures += cases.failures
        prog_plan, prog_seen, cases = None, 0, Tally()

    for raw in lines:
        line = raw.rstrip('\n')
        if line.startswith('# daxvm-suite: '):
            if top_plan is not None and top_seen < top_plan:
                tally.add('fail', f'{suite}: {top_plan - top_seen} program(s) never reported')
            suite = line[len('# daxvm-suite: '):].strip()
            top_plan, top_seen = None, 0
            continue
        if line.startswith('# '):
            inner = line[2:]
            if inner.startswith('selftests: '):
                prog_plan, prog_seen, cases = None, 0, Tally()
                continue
            m = PLAN.match(inner)
            if m and prog_plan is None:
                prog_plan = int(m.group(1))
                continue
            m = RESULT.match(inner)
            if m:
                prog_seen += 1
                cases.add(status_of(m), f'{suite}: {m.group(3)}')
            continue
        m = PLAN.match(line)
        if m:
            top_plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m and m.group(3).startswith('selftests: '):
            top_seen += 1
            name = m.group(3)[len('selftests: '):].replace(': ', ':')
            st = status_of(m)
            if st == 'skip' and prog_plan is None:
                cases.add('skip', f'{suite}: {name}')
            close_program(name, st != 'fail')
    if top_plan is not None and top_seen < top_plan:
        tally.add('fail', f'{suite}: {top_plan - top_seen} program(s) never reported')


def parse_kunit(lines, tally, report):
    """KUnit KTAP in the kernel log: suites at depth 0, cases at depth 1."""
    text = [TSTAMP.sub('', l.rstrip('\n')) for l in lines]
    # One block at boot (built-in suites), one per load of a module with suites.
    starts = [i for i, l in enumerate(text) if l == 'KTAP version 1'
              and i + 1 < len(text) and PLAN.match(text[i + 1])]
    if not starts:
        return False
    for start in starts:
        parse_kunit_block(text, start, tally, report)
    return True


def parse_kunit_block(text, start, tally, report):
    top_plan = int(PLAN.match(text[start + 1]).group(1))
    top_seen = 0
    cases, case_plan, case_seen = Tally(), None, 0
    for l in text[start + 2:]:
        indent = len(l) - len(l.lstrip(' '))
        s = l.strip()
        if indent == 4:
            m = PLAN.match(s)
            if m:
                case_plan, case_seen = int(m.group(1)), 0
                continue
            m = RESULT.match(s)
            if m:
                case_seen += 1
                cases.add(status_of(m), f'kunit: {m.group(3)}')
        elif indent == 0:
            m = RESULT.match(s)
            if m:
                top_seen += 1
                name = m.group(3)
                for i in range(max(0, (case_plan or 0) - case_seen)):
                    cases.add('fail', f'kunit: {name}: case {case_seen + i + 1} missing')
                if case_plan is None:
                    cases.add(status_of(m), f'kunit: {name}')
                elif status_of(m) == 'fail' and cases.failed == 0:
                    cases.add('fail', f'kunit: {name}: suite failed')
                report.append(('kunit', name, cases))
                tally.passed += cases.passed
                tally.failed += cases.failed
                tally.skipped += cases.skipped
                tally.failures += cases.failures
                cases, case_plan, case_seen = Tally(), None, 0
                if top_seen == top_plan:
                    break
    if top_seen < top_plan:
        tally.add('fail', f'kunit: {top_plan - top_seen} suite(s) never reported')


def workload(path):
    """The bad-input cells, random flag words and stress operations the run did."""
    cells = words = ops = runs = 0
    secs = 0.0
    with open(path, errors='replace') as f:
        for line in f:
            m = re.search(r':matrix:(\d+) cells, \d+ wrong', line)
            if m:
                cells += int(m.group(1))
            m = re.search(r':random_flag_words:(\d+) words, ', line)
            if m:
                words += int(m.group(1))
            m = re.search(r':stress:([\d.]+) s, (\d+) operations', line)
            if m:
                secs += float(m.group(1))
                ops += int(m.group(2))
                runs += 1
    if not (cells or words or ops):
        return ''
    return (f'workload: {cells} matrix cells, {words} random flag words, '
            f'{ops} stress operations in {runs} runs ({secs:.0f} s)')


def program_times(path):
    """The longest run of each program over the suites (# daxvm-time lines)."""
    longest = {}
    with open(path, errors='replace') as f:
        for line in f:
            m = re.match(r'^# daxvm-time: (\S+) (\d+)$', line.rstrip('\n'))
            if m:
                longest[m.group(1)] = max(longest.get(m.group(1), 0), int(m.group(2)))
    if not longest:
        return ''
    slow = sorted(longest.items(), key=lambda kv: -kv[1])
    return 'longest program runs: ' + ', '.join(f'{p} {s} s' for p, s in slow)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--output', required=True, help="the guest's output (output.log)")
    ap.add_argument('--console', help='the kernel log (console.log)')
    ap.add_argument('--expect-kunit', action='store_true',
                    help='fail if the kernel log has no KUnit results')
    ap.add_argument('--extra-fail', action='append', default=[],
                    help='count a failure with this name (e.g. a kernel splat)')
    args = ap.parse_args(argv)

    tally, report = Tally(), []
    with open(args.output, errors='replace') as f:
        parse_selftests(f, tally, report)
    if args.console:
        with open(args.console, errors='replace') as f:
            found = parse_kunit(f, tally, report)
        if args.expect_kunit and not found:
            tally.add('fail', 'kunit: no KUnit results in the kernel log')
    for name in args.extra_fail:
        tally.add('fail', name)

    print('\n==== summary ====')
    for suite, name, t in report:
        line = f'{suite:>10}  {name:<40} {t.passed:4d} passed {t.failed:3d} failed'
        if t.skipped:
            line += f' {t.skipped:3d} skipped'
        print(line)
    volume = workload(args.output)
    if volume:
        print(volume)
    times = program_times(args.output)
    if times:
        print(times)
    for name in tally.failures:
        print(f'FAILED: {name}')
    last = f'{tally.passed} passed, {tally.failed} failed'
    if tally.skipped:
        last += f', {tally.skipped} skipped'
    print(last)
    return 1 if tally.failed or tally.passed == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
