# SPDX-License-Identifier: GPL-2.0
"""harness/series-repo.sh and harness/export-series.sh never destroy a
developer's work: each refuses to run over uncommitted changes (and
series-repo.sh over commits not exported yet), says what to do instead,
and leaves the work where it was.

Each test builds a tiny world in a temporary directory: a project
repository with the harness's scripts and a one-commit series, and a cache
whose "base source" is two files.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(cwd, *args):
    return subprocess.run(['git', '-C', cwd] + list(args), check=True,
                          capture_output=True, text=True).stdout


class SeriesRepoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='dax-series-test-')
        self.addCleanup(shutil.rmtree, self.tmp)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(('DAX_', 'GIT_'))}
        self.env.update(HOME=self.tmp, GIT_CONFIG_NOSYSTEM='1',
                        DAX_CACHE=os.path.join(self.tmp, 'cache'))
        # The base: two files.
        base = os.path.join(self.tmp, 'cache/base/linux-source-7.3')
        os.makedirs(os.path.join(base, 'fs'))
        self.write(base, 'README', 'Linux\n')
        self.write(base, 'fs/dax.c', 'int dax;\n')
        self.write(base, '.unpacked', '')
        # The project: the harness, one patch that edits fs/dax.c, and the
        # new file its series line names.
        self.repo = os.path.join(self.tmp, 'repo')
        os.makedirs(os.path.join(self.repo, 'patches'))
        shutil.copytree(HARNESS, os.path.join(self.repo, 'harness'),
                        ignore=shutil.ignore_patterns('tests', '__pycache__'))
        self.write(self.repo, 'linux/fs/dax_recovery.c', 'int recovery;\n')
        self.write(self.repo, 'patches/0001-fsdax-one.patch', self.make_patch(base))
        self.write(self.repo, 'patches/series',
                   '# The series, in order: one upstream commit per line.\n'
                   '# <patch file in patches/> [files the commit adds, relative to linux/ ...]\n'
                   '0001-fsdax-one.patch fs/dax_recovery.c\n')
        git(self.repo, 'init', '-q', '-b', 'main')
        git(self.repo, 'config', 'user.name', 'Dev')
        git(self.repo, 'config', 'user.email', 'dev@example.org')
        git(self.repo, 'add', '-A')
        git(self.repo, 'commit', '-q', '-m', 'the project')
        self.dir = os.path.join(self.tmp, 'cache/git')

    def make_patch(self, base):
        work = os.path.join(self.tmp, 'mkpatch')
        shutil.copytree(base, work)
        git(work, 'init', '-q')
        git(work, 'config', 'user.name', 'Dev')
        git(work, 'config', 'user.email', 'dev@example.org')
        git(work, 'add', '-A')
        git(work, 'commit', '-q', '-m', 'base')
        self.write(work, 'fs/dax.c', 'int dax;\nint dax_more;\n')
        git(work, 'commit', '-q', '-a', '-m', 'fsdax: one\n\nSigned-off-by: Dev <dev@example.org>')
        patch = git(work, 'format-patch', '--stdout', '--zero-commit', '--no-signature', '-1')
        shutil.rmtree(work)
        return patch

    @staticmethod
    def write(root, path, text):
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(text)

    @staticmethod
    def read(root, path):
        with open(os.path.join(root, path)) as f:
            return f.read()

    def run_script(self, name, *args):
        return subprocess.run([os.path.join(self.repo, 'harness', name)] + list(args),
                              env=self.env, capture_output=True, text=True)

    def build(self, *args):
        r = self.run_script('series-repo.sh', *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def refused(self, r, *words):
        self.assertNotEqual(r.returncode, 0, 'the script ran; it should have refused')
        for w in words:
            self.assertIn(w, r.stderr)

    def test_builds_and_rebuilds(self):
        self.build()
        self.assertEqual(git(self.dir, 'log', '--format=%s', 'base..series').split('\n')[0],
                         'fsdax: one')
        self.assertEqual(self.read(self.dir, 'fs/dax_recovery.c'), 'int recovery;\n')
        self.build()   # nothing of the developer's in it: rebuilt without a word

    def test_refuses_uncommitted_changes(self):
        self.build()
        self.write(self.dir, 'fs/dax.c', 'my work\n')
        self.write(self.dir, 'fs/new.c', 'my new file\n')
        r = self.run_script('series-repo.sh')
        self.refused(r, 'uncommitted changes', 'export-series.sh', 'stash')
        self.assertEqual(self.read(self.dir, 'fs/dax.c'), 'my work\n')
        self.assertEqual(self.read(self.dir, 'fs/new.c'), 'my new file\n')

    def test_refuses_commits_not_exported(self):
        self.build()
        self.write(self.dir, 'fs/dax.c', 'my work\n')
        git(self.dir, 'commit', '-q', '-a', '--amend', '--no-edit')
        mine = git(self.dir, 'rev-parse', 'series')
        r = self.run_script('series-repo.sh')
        self.refused(r, 'not in patches/', 'export-series.sh')
        self.assertEqual(git(self.dir, 'rev-parse', 'series'), mine)
        # Exported, the work is the project's and the repository may go.
        r = self.run_script('export-series.sh')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('+my work', self.read(self.repo, 'patches/0001-fsdax-one.patch'))
        self.build()
        self.assertEqual(self.read(self.dir, 'fs/dax.c'), 'my work\n')

    def test_scratch_discards(self):
        self.build('--scratch')
        self.write(self.dir, 'fs/dax.c', 'stale\n')
        self.build('--scratch')
        self.assertEqual(self.read(self.dir, 'fs/dax.c'), 'int dax;\nint dax_more;\n')

    def test_export_refuses_uncommitted_project_changes(self):
        self.build()
        self.write(self.repo, 'linux/fs/dax_recovery.c', 'edited in the project\n')
        self.write(self.repo, 'patches/0002-wip.patch', 'wip\n')
        r = self.run_script('export-series.sh')
        self.refused(r, 'patches/ or linux/ have uncommitted changes', 'stash')
        self.assertEqual(self.read(self.repo, 'linux/fs/dax_recovery.c'), 'edited in the project\n')
        self.assertEqual(self.read(self.repo, 'patches/0002-wip.patch'), 'wip\n')

    def test_export_refuses_uncommitted_series_changes(self):
        self.build()
        self.write(self.dir, 'fs/dax.c', 'not committed\n')
        r = self.run_script('export-series.sh')
        self.refused(r, 'uncommitted changes', 'commit')
        self.assertEqual(self.read(self.dir, 'fs/dax.c'), 'not committed\n')

    def test_assemble_reads_the_same_series(self):
        # assemble.sh parses patches/series with the same series_read.
        src = os.path.join(self.tmp, 'cache/src')
        r = self.run_script('assemble.sh')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(src, 'fs/dax.c'), 'int dax;\nint dax_more;\n')
        self.assertEqual(self.read(src, 'fs/dax_recovery.c'), 'int recovery;\n')
        self.env['DAX_SERIES_PREFIX'] = '0'
        r = self.run_script('assemble.sh')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.read(src, 'fs/dax.c'), 'int dax;\n')
        self.assertFalse(os.path.exists(os.path.join(src, 'fs/dax_recovery.c')))

    def test_series_line_naming_a_missing_file(self):
        self.write(self.repo, 'patches/series', '0001-fsdax-one.patch fs/gone.c\n')
        for script in ('series-repo.sh', 'assemble.sh'):
            r = self.run_script(script)
            self.refused(r, 'names linux/fs/gone.c, which does not exist')

    def test_export_round_trip(self):
        self.build()
        r = self.run_script('export-series.sh')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(git(self.repo, 'status', '--porcelain'), '')


if __name__ == '__main__':
    unittest.main()
