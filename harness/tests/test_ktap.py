# SPDX-License-Identifier: GPL-2.0
"""ktap.py, which decides make check's verdict, on a captured run
(fixtures/ktap: the guest's output and the kernel log) and on the ways a
run goes wrong: a program that dies before its plan is done, one that
fails by its exit status only, programs never reported, a KUnit suite cut
short, no KUnit at all, a kernel splat."""
import os
import shutil
import tempfile
import unittest

from util import fixture, run_main

import ktap

OUTPUT = fixture('ktap', 'output.log')
CONSOLE = fixture('ktap', 'console.log')


def read(path):
    with open(path) as f:
        return f.read()


class KtapTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)

    def edited(self, path, old, new):
        """A copy of a fixture with old replaced by new."""
        text = read(path)
        self.assertIn(old, text)
        out = os.path.join(self.tmp, os.path.basename(path))
        with open(out, 'w') as f:
            f.write(text.replace(old, new))
        return out

    def verdict(self, output=OUTPUT, console=CONSOLE, *extra):
        argv = ['--output', output, '--expect-kunit'] + list(extra)
        if console:
            argv += ['--console', console]
        return run_main(ktap.main, argv)

    def test_clean_run(self):
        rc, out = self.verdict()
        self.assertEqual(rc, 0, out)
        # Skips are never passes: 3 of the selftests' cases and the skipped
        # program, one KUnit case.
        self.assertEqual(out[-1], '12 passed, 0 failed, 4 skipped')
        self.assertIn('workload: 4096 matrix cells, 20000 random flag words, '
                      '100000 stress operations in 1 runs (30 s)', out)
        self.assertIn('longest program runs: dax_matrix 95 s, dax_stress 31 s, '
                      'dax_flags 16 s, dax_bus 0 s', out)
        self.assertFalse([line for line in out if line.startswith('FAILED')])

    def test_failed_case(self):
        rc, out = self.verdict(self.edited(OUTPUT, '# ok 2 fs.ext4.random_flag_words',
                                           '# not ok 2 fs.ext4.random_flag_words'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: nd_pmem/testbus: fs.ext4.random_flag_words', out)
        self.assertEqual(out[-1], '11 passed, 1 failed, 4 skipped')

    def test_program_dies_before_its_plan_is_done(self):
        # dax_matrix planned 2 cases and reported 1, then the program died.
        cut = self.edited(OUTPUT, '# ok 2 fs.ext4.random_flag_words\n', '')
        cut = self.edited(cut, 'ok 2 selftests: dax_recovery: dax_matrix',
                          'not ok 2 selftests: dax_recovery: dax_matrix # exit=139')
        rc, out = self.verdict(cut)
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: nd_pmem/testbus: dax_recovery:dax_matrix: result 2 missing', out)
        self.assertEqual(out[-1], '11 passed, 1 failed, 4 skipped')

    def test_program_fails_by_exit_status_only(self):
        rc, out = self.verdict(self.edited(
            OUTPUT, 'ok 3 selftests: dax_recovery: dax_stress',
            'not ok 3 selftests: dax_recovery: dax_stress # exit=1'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: nd_pmem/testbus: dax_recovery:dax_stress: program failed '
                      '(exit status)', out)

    def test_program_timed_out(self):
        rc, out = self.verdict(self.edited(
            OUTPUT, 'ok 3 selftests: dax_recovery: dax_stress',
            'not ok 3 selftests: dax_recovery: dax_stress # TIMEOUT 900 seconds'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: nd_pmem/testbus: dax_recovery:dax_stress: program failed '
                      '(exit status)', out)

    def test_programs_never_reported(self):
        # The VM died in the middle of the second suite: 1..2, one program.
        text = read(OUTPUT)
        out_path = os.path.join(self.tmp, 'output.log')
        with open(out_path, 'w') as f:
            f.write(text[:text.index('# selftests: dax_recovery: dax_bus')])
        rc, out = self.verdict(out_path)
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: rust_pmem/testbus: 1 program(s) never reported', out)

    def test_xfail(self):
        rc, out = self.verdict(self.edited(OUTPUT, '# ok 1 fs.ext4.matrix',
                                           '# not ok 1 fs.ext4.matrix # XFAIL known'))
        self.assertEqual(rc, 0, out)
        # An XFAIL that passes is news.
        rc, out = self.verdict(self.edited(OUTPUT, '# ok 1 fs.ext4.matrix',
                                           '# ok 1 fs.ext4.matrix # XFAIL known'))
        self.assertEqual(rc, 1)

    def test_kunit_case_failed(self):
        rc, out = self.verdict(console=self.edited(CONSOLE, '    ok 2 take_held_pages',
                                                   '    not ok 2 take_held_pages'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: kunit: take_held_pages', out)

    def test_kunit_suite_cut_short(self):
        # The kernel oopsed in the second case of the module's suite.
        text = read(CONSOLE)
        path = os.path.join(self.tmp, 'console.log')
        with open(path, 'w') as f:
            f.write(text[:text.index('[    1.912352]')])
        rc, out = self.verdict(console=path)
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: kunit: 2 suite(s) never reported', out)

    def test_kunit_suite_failed_without_a_failed_case(self):
        rc, out = self.verdict(console=self.edited(CONSOLE, '] ok 1 nd_testbus_clear',
                                                   '] not ok 1 nd_testbus_clear'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: kunit: nd_testbus_clear: suite failed', out)

    def test_no_kunit(self):
        rc, out = self.verdict(console=fixture('ktap', 'output.log'))
        self.assertEqual(rc, 1)
        self.assertIn('FAILED: kunit: no KUnit results in the kernel log', out)

    def test_extra_failure(self):
        rc, out = self.verdict(OUTPUT, CONSOLE, '--extra-fail', 'kernel log: warnings/oopses')
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], '12 passed, 1 failed, 4 skipped')

    def test_nothing_passed(self):
        empty = os.path.join(self.tmp, 'empty.log')
        open(empty, 'w').close()
        rc, out = run_main(ktap.main, ['--output', empty])
        self.assertEqual(rc, 1)
        self.assertEqual(out[-1], '0 passed, 0 failed')


if __name__ == '__main__':
    unittest.main()
