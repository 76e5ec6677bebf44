# SPDX-License-Identifier: GPL-2.0
"""What the peer suites' reports share (fstests_report.py, ndctl_report.py):
each result is a (status, detail) pair or None (not run), status "pass",
"fail" or a kind of skip. A report is a markdown table with a row per test,
then its summary lines and one "REGRESSION: ..." line per finding; it exits
1 when there is any. The findings are the same two for both suites: a
patched kernel does not pass a test the unpatched kernel passes, and the
two drivers end a test differently.
"""

DRIVERS = ("nd_pmem", "rust_pmem")


def status(result, missing="none"):
    """The status of a result; missing when there is no result."""
    return result[0] if result else missing


def regressed(ref, got, strict=False):
    """Whether the reference passes a test that got does not: got fails
    it or, strict, anything but passes it (skips it, or did not run it)."""
    if status(ref) != "pass":
        return False
    return status(got) != "pass" if strict else status(got) == "fail"


def differ(a, b):
    """Whether two drivers ended a test differently (None: not run)."""
    return status(a) != status(b)


class Report:
    def __init__(self, columns):
        self.columns = list(columns)
        self.rows = []
        self.summary = []
        self.bad = []

    def row(self, *cells):
        self.rows.append([str(c) for c in cells])

    def regression(self, what):
        self.bad.append(what)

    def lines(self):
        out = ["| " + " | ".join(self.columns) + " |",
               "|" + "---|" * len(self.columns)]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        out.append("")
        out += self.summary
        out += [f"REGRESSION: {b}" for b in self.bad]
        return out

    def finish(self):
        """Print the report; the exit status: 1 on any regression."""
        print("\n".join(self.lines()))
        return 1 if self.bad else 0
