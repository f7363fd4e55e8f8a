#!/usr/bin/env python3
"""A terminal for the tests: runs a command as the session leader of a new
pty, as a login shell would be, and plays a user at its keyboard.

  ptydrive.py [--size ROWS COLS] [--timeout S] [--linger S]
              [--step WHEN ACTION ARG]... [--after BYTES] -- COMMAND [ARG...]

Each --step waits (in order) until WHEN has appeared in the output since the
previous step (or, for file:PATH, until PATH exists), then does ACTION: send BYTES (Python escapes: \\x03 is ^C),
resize "ROWS COLS" (TIOCSWINSZ on the master: the kernel sends SIGWINCH to
the terminal's foreground), signal NAME to the command's process, or sleep
SECONDS. --after BYTES is typed once the command has ended, then the
terminal stays open --linger seconds (the driver holds its slave, as the
caller's shell would), output still read. Every wait is bounded by
--timeout. Prints:
  tty=DEV:INO of the terminal's slave (stat st_dev:st_ino)
  status=EXIT STATUS (128+N for signal N; "timeout" when killed)
  modes=same|changed (the terminal's modes at the end, against the start)
  ---
  the output, with \\r removed
"""
import fcntl
import os
import select
import signal
import struct
import sys
import termios
import time


def unescape(s):
    return s.encode().decode("unicode_escape").encode("latin-1")


def main(argv):
    size, timeout, linger, steps, after = (24, 80), 20.0, 0.0, [], []
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a == "--size":
            size = (int(argv[i + 1]), int(argv[i + 2]))
            i += 3
        elif a == "--timeout":
            timeout = float(argv[i + 1])
            i += 2
        elif a == "--linger":
            linger = float(argv[i + 1])
            i += 2
        elif a == "--step":
            steps.append((argv[i + 1], argv[i + 2], argv[i + 3]))
            i += 4
        elif a == "--after":
            after.append(unescape(argv[i + 1]))
            i += 2
        else:
            sys.exit("ptydrive: unknown option " + a)
    cmd = argv[i + 1:]
    if not cmd:
        sys.exit("ptydrive: no command")

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    st = os.fstat(slave)
    modes = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        os.closerange(3, 1024)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)

    out = b""
    seen = 0
    deadline = time.monotonic() + timeout
    status = None

    def read_some(wait):
        nonlocal out
        r, _, _ = select.select([master], [], [], wait)
        if r:
            try:
                d = os.read(master, 4096)
            except OSError:
                return
            out += d

    while status is None and time.monotonic() < deadline:
        read_some(0.05)
        while steps:
            when, action, arg = steps[0]
            if when.startswith("file:"):
                if not os.path.exists(when[5:]):
                    break
            else:
                at = out.find(when.encode(), seen)
                if at < 0:
                    break
                seen = at + len(when)
            steps.pop(0)
            if action == "send":
                os.write(master, unescape(arg))
            elif action == "resize":
                rows, cols = (int(x) for x in arg.split())
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            elif action == "signal":
                os.kill(pid, getattr(signal, arg))
            elif action == "sleep":
                time.sleep(float(arg))
        p, ws = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            status = os.waitstatus_to_exitcode(ws)
            status = status if status >= 0 else 128 - status
    if status is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        status = "timeout"
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        read_some(0.05)
    for b in after:
        os.write(master, b)
    end = time.monotonic() + linger
    while time.monotonic() < end:
        read_some(0.05)
    same = termios.tcgetattr(slave) == modes
    print("tty=%d:%d" % (st.st_dev, st.st_ino))
    print("status=%s" % status)
    print("modes=%s" % ("same" if same else "changed"))
    print("---")
    sys.stdout.write(out.replace(b"\r", b"").decode("utf-8", "replace"))


if __name__ == "__main__":
    main(sys.argv[1:])
