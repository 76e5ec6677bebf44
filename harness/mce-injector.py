#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raise machine checks in the test VM on the guest's request.

    mce-injector.py --monitor SOCK --serial SOCK [--log FILE]

harness/vm.sh starts this before QEMU and stops it after. It listens on
two unix sockets that QEMU connects to as a client:

  --monitor  QEMU's human monitor (HMP), -mon chardev=...,mode=readline
  --serial   a serial port of the guest (its /dev/ttyS2), -serial chardev:...

A test in the guest (dax_mce_inject() in the dax_recovery selftests'
dax_common.c) writes a line "mce <phys>" (hex with 0x, or decimal) on its
serial port; the injector sends QEMU's monitor

    mce -b 0 9 0xbd000000000000c0 0x5 <phys> 0x86

and answers "ok" or "err <why>" on the same line. The machine check is an
action-optional memory-scrub error, as a patrol scrub on real hardware
raises it:

  MCi_STATUS  0xbd000000000000c0: VAL (63) | UC (61) | EN (60) | MISCV (59)
              | ADDRV (58) | S (56), no PCC, no AR; MCACOD 0xc0 (memory
              scrub, 0xc0-0xcf), which the kernel grades "Action optional:
              memory scrubbing error" on a CPU with MCG_SER_P
  MCG_STATUS  0x5: RIPV (0) | MCIP (2)
  MCi_ADDR    the physical address
  MCi_MISC    0x86: address mode physical (bits 8:6 = 2), LSB 6 (bits 5:0):
              the address is good to a 64-byte cache line

-b broadcasts it to every vCPU (the others get a bank 1 VAL|UC record
without EN, which the kernel ignores), as Intel CPUs do: the guest's
handler waits for every CPU to enter it. QEMU accepts -b only for an Intel
CPU model (family 6 model >= 14, or later), hence -cpu max,vendor=GenuineIntel.
Bank 9 is one of the 10 banks QEMU gives every CPU (MCE_BANKS_DEF).

A monitor command that QEMU rejects prints a message (e.g. "Guest CPU does
not support MCA broadcast"); any output besides the echo of the command is
an error, returned to the guest as "err <message>".
"""
import argparse
import atexit
import os
import re
import select
import socket
import sys
import time

MCI_STATUS = 0xbd000000000000c0
MCG_STATUS = 0x5
MCI_MISC = 0x86
BANK = 9

ESC = re.compile(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b.')
REQ = re.compile(r'^mce\s+(0x[0-9a-fA-F]+|[0-9]+)\s*$')


def listen(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


class Monitor:
    """QEMU's HMP over a socket: send a line, read up to the next prompt."""
    PROMPT = b'(qemu) '

    def __init__(self, conn, log):
        self.conn = conn
        self.log = log
        self.read_prompt(30)

    def read_prompt(self, timeout):
        buf = b''
        end = time.monotonic() + timeout
        while not buf.endswith(self.PROMPT):
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError('no monitor prompt (got %r)' % buf[-200:])
            r, _, _ = select.select([self.conn], [], [], left)
            if not r:
                continue
            data = self.conn.recv(4096)
            if not data:
                raise EOFError('monitor closed')
            buf += data
        return buf

    def command(self, line):
        self.conn.sendall(line.encode() + b'\n')
        out = ESC.sub(b'', self.read_prompt(10)).decode(errors='replace')
        # readline echoes the command as it is typed, redrawing the line:
        # what follows its last full copy is the command's output.
        at = out.rfind(line)
        if at >= 0:
            out = out[at + len(line):]
        if out.endswith(self.PROMPT.decode()):
            out = out[:-len(self.PROMPT)]
        msgs = [l.strip() for l in out.replace('\r', '\n').split('\n') if l.strip()]
        self.log('monitor: %s -> %s' % (line, msgs or 'ok'))
        return msgs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--monitor', required=True)
    ap.add_argument('--serial', required=True)
    ap.add_argument('--log', default=None)
    a = ap.parse_args()

    logf = open(a.log, 'a', buffering=1) if a.log else sys.stderr

    def log(msg):
        logf.write('%.3f %s\n' % (time.time(), msg))

    msock = listen(a.monitor)
    ssock = listen(a.serial)
    atexit.register(lambda: [os.path.exists(p) and os.unlink(p) for p in (a.monitor, a.serial)])
    log('listening on %s and %s' % (a.monitor, a.serial))
    # QEMU connects to both as it starts (the monitor first: it comes
    # first on its command line), or never, if it fails to start.
    mconn, _ = msock.accept()
    sconn, _ = ssock.accept()
    log('QEMU connected')
    try:
        mon = Monitor(mconn, log)
    except (TimeoutError, EOFError) as e:
        log('error: %s' % e)
        mon = None

    buf = b''
    while True:
        data = sconn.recv(4096)
        if not data:
            log('serial closed: QEMU exited')
            return 0
        buf += data
        while b'\n' in buf:
            raw, buf = buf.split(b'\n', 1)
            line = raw.decode(errors='replace').strip('\r\x00 ')
            if not line:
                continue
            m = REQ.match(line)
            if not m:
                log('guest: %r: not a request' % line)
                reply = 'err bad request'
            elif mon is None:
                reply = 'err no monitor'
            else:
                phys = int(m.group(1), 0)
                cmd = 'mce -b 0 %d %#x %#x %#x %#x' % (BANK, MCI_STATUS, MCG_STATUS,
                                                      phys, MCI_MISC)
                try:
                    msgs = mon.command(cmd)
                    reply = 'err ' + '; '.join(msgs) if msgs else 'ok'
                except (TimeoutError, EOFError, OSError) as e:
                    reply = 'err monitor: %s' % e
            log('guest: %r -> %r' % (line, reply))
            sconn.sendall(reply.encode() + b'\n')


if __name__ == '__main__':
    sys.exit(main())
