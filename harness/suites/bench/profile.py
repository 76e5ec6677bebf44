#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions per call and function, from insn_profile's block counts.

    profile.py SYSTEM_MAP RUN_DIR LABEL... > profile.txt

Each LABEL names RUN_DIR/LABEL.blocks (insn_profile.c's output) and
RUN_DIR/LABEL.txt (the guest's output: "bench loop-calls N calls" and the
modules' "ksym" lines). Prints, per label, the instructions per call of each
function (in the calling vCPU's window, and on the other vCPU meanwhile),
and, for every label after the first, the difference to the first per
function: where one kind of call spends what the other does not.
"""
import bisect
import re
import sys


def symbols(system_map, txt):
    syms = []
    for line in open(system_map):
        addr, kind, name = line.split()[:3]
        if kind in "tTwW":
            syms.append((int(addr, 16), name))
    for line in open(txt):
        m = re.match(r"ksym ([0-9a-f]+) [tTwW] (\S+)\s+\[(\S+)\]", line)
        if m:
            syms.append((int(m.group(1), 16), f"{m.group(2)} [{m.group(3)}]"))
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms]


def profile(system_map, run, label):
    txt = f"{run}/{label}.txt"
    calls = None
    for line in open(txt):
        m = re.search(r"bench loop-calls ([0-9.]+) calls", line)
        if m:
            calls = float(m.group(1))
    if not calls:
        sys.exit(f"profile.py: no loop-calls line in {txt}")
    addrs, names = symbols(system_map, txt)
    own, other = {}, {}
    for line in open(f"{run}/{label}.blocks"):
        vaddr, count, oth = (int(x, 0) for x in line.split())
        i = bisect.bisect_right(addrs, vaddr) - 1
        if vaddr < 0xffff800000000000:
            name = "(user)"
        else:
            name = names[i] if i >= 0 else "(unknown)"
        own[name] = own.get(name, 0) + count / calls
        other[name] = other.get(name, 0) + oth / calls
    return calls, own, other


def table(title, rows, total):
    print(f"\n{title}")
    print(f"{'instructions':>14} {'share':>7}  function")
    for name, v in rows:
        print(f"{v:14.1f} {100 * v / total if total else 0:6.1f}%  {name}")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    system_map, run, labels = sys.argv[1], sys.argv[2], sys.argv[3:]
    profs = {lab: profile(system_map, run, lab) for lab in labels}
    for lab, (calls, own, other) in profs.items():
        t_own, t_other = sum(own.values()), sum(other.values())
        print(f"== {lab}: {calls:.0f} calls, {t_own:.1f} instructions per call "
              f"in the call, {t_other:.1f} on the other vCPU meanwhile")
        top = sorted(own.items(), key=lambda kv: -kv[1])[:40]
        table(f"{lab}: per call, the calling vCPU (top 40)", top, t_own)
        top = sorted(other.items(), key=lambda kv: -kv[1])[:15]
        table(f"{lab}: per call, the other vCPU (top 15)", top, t_other)
    first = labels[0]
    for lab in labels[1:]:
        a, b = profs[first][1], profs[lab][1]
        diff = {n: b.get(n, 0) - a.get(n, 0) for n in set(a) | set(b)}
        tot = sum(b.values()) - sum(a.values())
        top = sorted(diff.items(), key=lambda kv: -abs(kv[1]))[:40]
        table(f"{lab} minus {first}: {tot:+.1f} instructions per call (top 40 by size)",
              top, tot)


if __name__ == "__main__":
    main()
