# SPDX-License-Identifier: GPL-2.0
"""fstests_report.py and ndctl_report.py (and the peer_report.py they share)
on captured results: what passes, and every kind of regression they name."""
import os
import shutil
import tempfile
import unittest

from util import fixture, regressions, run_main

import fstests_report
import ndctl_report
import peer_report

KERNELS = ['base', 'nd_pmem', 'rust_pmem']
RUNS = ['nfit-base', 'nfit-series', 'e820-nd_pmem', 'e820-rust_pmem']


class PeerReportTest(unittest.TestCase):
    def test_regressed(self):
        r = peer_report.regressed
        self.assertTrue(r(('pass', ''), ('fail', '')))
        self.assertFalse(r(('pass', ''), ('skip', '')))
        self.assertTrue(r(('pass', ''), ('skip', ''), strict=True))
        self.assertTrue(r(('pass', ''), None, strict=True))
        self.assertFalse(r(('fail', ''), ('fail', '')))
        self.assertFalse(r(None, ('fail', ''), strict=True))

    def test_differ(self):
        self.assertFalse(peer_report.differ(('pass', 1), ('pass', 2)))
        self.assertTrue(peer_report.differ(('pass', 1), ('skip', 2)))
        self.assertTrue(peer_report.differ(('pass', 1), None))

    def test_table(self):
        rep = peer_report.Report(['a', 'b'])
        rep.row('x', 1)
        rep.summary.append('1 row')
        self.assertEqual(rep.lines(), ['| a | b |', '|---|---|', '| x | 1 |', '', '1 row'])
        rep.regression('x broke')
        self.assertEqual(rep.lines()[-1], 'REGRESSION: x broke')


class FstestsReportTest(unittest.TestCase):
    def test_clean(self):
        rc, out = run_main(fstests_report.main, [fixture('fstests')] + KERNELS)
        self.assertEqual(rc, 0, out)
        self.assertEqual(regressions(out), [])
        self.assertIn('| generic/790 | ext4 | notrun: kernel lacks RWF_IGNORE_HWERROR | pass | pass |', out)
        # The base kernel's own failure (generic/791) is not the series'.
        self.assertIn('| generic/791 | ext4 | fail: - output mismatch (see generic/791.out.bad) '
                      '| pass | pass |', out)
        self.assertIn('base: 3 pass, 1 fail, 2 notrun', out)
        self.assertIn('rust_pmem: 6 pass, 0 fail, 0 notrun', out)

    def test_regressions(self):
        rc, out = run_main(fstests_report.main, [fixture('fstests-regressed')] + KERNELS)
        self.assertEqual(rc, 1)
        self.assertEqual(regressions(out), [
            'generic/790 (ext4): nd_pmem pass, rust_pmem notrun',
            'xfs/118 (xfs): nd_pmem fails, base passes',
            'xfs/118 (xfs): nd_pmem fail, rust_pmem pass',
        ])

    def test_a_kernel_without_results(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        for k in ('base', 'nd_pmem'):
            shutil.copytree(fixture('fstests', k), os.path.join(tmp, k))
        rc, out = run_main(fstests_report.main, [tmp] + KERNELS)
        self.assertEqual(rc, 1)
        self.assertEqual(regressions(out), ['rust_pmem: no results'])


class NdctlReportTest(unittest.TestCase):
    def test_clean(self):
        rc, out = run_main(ndctl_report.main, [fixture('ndctl')] + RUNS)
        self.assertEqual(rc, 0, out)
        self.assertEqual(regressions(out), [])
        self.assertIn('| pmem-errors.sh | nfit_test | nd_pmem | fail (20 s) | pass (19 s) |', out)
        self.assertIn('| dax-xfs.sh | e820 (test-bed kernel) | rust_pmem | - | pass (27 s) |', out)
        self.assertIn('| nfit-salvage.sh (the series\' dax_salvage: IGNORE read, RESET repair) '
                      '| nfit_test | nd_pmem | - | pass (44 s) |', out)

    def test_regressions(self):
        rc, out = run_main(ndctl_report.main, [fixture('ndctl-regressed')] + RUNS)
        self.assertEqual(rc, 1)
        self.assertEqual(regressions(out), [
            'clear.sh on nfit_test: passes unpatched, skip with the series',
            'nfit-salvage.sh on nfit_test: fail with the series',
            'e820-nd_pmem: no results',
        ])

    def test_drivers_differ_on_e820(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copytree(fixture('ndctl'), tmp, dirs_exist_ok=True)
        with open(os.path.join(tmp, 'e820-rust_pmem', 'results.txt'), 'w') as f:
            f.write('dax-ext4.sh pass 0 25\ndax-xfs.sh fail 1 27\n')
        rc, out = run_main(ndctl_report.main, [tmp] + RUNS)
        self.assertEqual(rc, 1)
        self.assertEqual(regressions(out), ['dax-xfs.sh on e820: nd_pmem pass, rust_pmem fail'])

    def test_e820_regression_against_the_unpatched_kernel(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copytree(fixture('ndctl'), tmp, dirs_exist_ok=True)
        for d in ('nd_pmem', 'rust_pmem'):
            with open(os.path.join(tmp, f'e820-{d}', 'results.txt'), 'w') as f:
                f.write('dax-ext4.sh fail 1 25\ndax-xfs.sh pass 0 27\n')
        rc, out = run_main(ndctl_report.main, [tmp] + RUNS)
        self.assertEqual(rc, 1)
        self.assertEqual(regressions(out), [
            'dax-ext4.sh on e820 with nd_pmem: passes unpatched, fail with the series'])


if __name__ == '__main__':
    unittest.main()
