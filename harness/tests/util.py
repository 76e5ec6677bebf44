# SPDX-License-Identifier: GPL-2.0
"""What the harness's unit tests share: the harness's modules (its own and
its suites') on the import path, the captured logs under fixtures/, a
report's output and status."""
import contextlib
import glob
import io
import os
import sys

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(HARNESS, 'tests', 'fixtures')
# Every suite's folder, so that a new suite's report needs no line here.
for d in [HARNESS] + sorted(glob.glob(os.path.join(HARNESS, 'suites', '*'))):
    if d not in sys.path:
        sys.path.insert(0, d)


def fixture(*path):
    return os.path.join(FIXTURES, *path)


def run_main(main, argv):
    """main(argv)'s exit status and what it printed, as lines."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(argv)
    return rc, out.getvalue().splitlines()


def regressions(lines):
    return [line[len('REGRESSION: '):] for line in lines if line.startswith('REGRESSION: ')]
