#!/usr/bin/python3
"""Small servers and clients for network-slirp.bats (standard library only).

Every server ends by itself after SECONDS; every client gives up after
TIMEOUT seconds. Nothing here resolves a name: addresses are numeric.

  hello PORTFILE SECONDS
      TCP on 127.0.0.1, on a free port picked at random in 20000-40000
      (another one when it is taken), written to PORTFILE once listening.
      Each connection gets the line "hello PORT", then is closed.
  udp-echo ADDR PORT SECONDS [READYFILE]
      UDP on ADDR:PORT; each datagram comes back prefixed with "echo ".
      READYFILE is created once the socket is bound.
  connect ADDR PORT [TIMEOUT]
      Prints "ok LINE" with the first line the server sent, or
      "error REASON" (refused, timeout, closed, or the errno's name).
  udp-ask ADDR PORT MESSAGE [TIMEOUT]
      Sends MESSAGE, prints "ok REPLY" or "error REASON".
  http-get ADDR PORT PATH [TIMEOUT]
      An HTTP/1.0 GET of PATH (no proxy, no name): prints "ok STATUS LINE"
      with the status code and the body's first line, or "error REASON".
  ifaddr IFACE
      Prints the IPv4 address and netmask of IFACE as ADDR/MASK.
  unix-hello PATH SECONDS
      A Unix stream socket at PATH (a stand-in for a session's display or
      sound server); each connection gets the line "hello PATH", then is
      closed. PATH exists once listening; it is removed at the end.
  unix-ask PATH [TIMEOUT]
      Prints "ok LINE" with the first line the socket's server sent, or
      "error REASON".

The clients exit 0 whatever the answer (the answer is the output), 2 on a
usage error.
"""
import errno
import os
import random
import socket
import sys
import time


def usage():
    sys.stderr.write(__doc__)
    sys.exit(2)


def reason(exc):
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if getattr(exc, "errno", None):
        return errno.errorcode.get(exc.errno, str(exc.errno))
    return type(exc).__name__


def hello(portfile, seconds):
    deadline = time.monotonic() + seconds
    srv = None
    for _ in range(50):
        port = random.randint(20000, 40000)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            s.close()
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        srv = s
        break
    if srv is None:
        sys.exit("netserver: no free port in 20000-40000 after 50 tries")
    srv.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)    # the reader never sees half a number
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        srv.settimeout(left)
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            return
        with conn:
            try:
                conn.sendall(b"hello %d\n" % port)
            except OSError:
                pass


def udp_echo(addr, port, seconds, readyfile):
    deadline = time.monotonic() + seconds
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    if readyfile:
        open(readyfile, "w").close()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            return
        s.sendto(b"echo " + data, peer)


def first_line(family, address, timeout):
    """Connects, prints "ok LINE" with the first line the server sent, or
    "error REASON"."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(address)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        print("error " + reason(exc))
        return
    finally:
        s.close()
    line = data.decode(errors="replace").strip()
    print("ok " + line if line else "error closed")


def connect(addr, port, timeout):
    first_line(socket.AF_INET, (addr, port), timeout)


def udp_ask(addr, port, message, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(message.encode(), (addr, port))
        data, _ = s.recvfrom(2048)
    except OSError as exc:
        print("error " + reason(exc))
        return
    finally:
        s.close()
    print("ok " + data.decode(errors="replace").strip())


def http_get(addr, port, path, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        s.connect((addr, port))
        s.sendall(b"GET %s HTTP/1.0\r\n\r\n" % path.encode())
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        print("error " + reason(exc))
        return
    finally:
        s.close()
    head, sep, body = data.partition(b"\r\n\r\n")
    words = head.split(b" ", 2)
    if not sep or len(words) < 2:
        print("error closed" if not data else "error not-http")
        return
    first = body.decode(errors="replace").split("\n", 1)[0].strip()
    print("ok %s %s" % (words[1].decode(errors="replace"), first))


def ifaddr(name):
    import fcntl
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    req = struct.pack("256s", name.encode())
    addr = fcntl.ioctl(s.fileno(), 0x8915, req)     # SIOCGIFADDR
    mask = fcntl.ioctl(s.fileno(), 0x891B, req)     # SIOCGIFNETMASK
    s.close()
    print("%s/%s" % (socket.inet_ntoa(addr[20:24]), socket.inet_ntoa(mask[20:24])))


def unix_hello(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path + ".tmp")
    os.rename(path + ".tmp", path)
    s.listen(8)
    end = time.time() + seconds
    try:
        while time.time() < end:
            s.settimeout(max(0.1, end - time.time()))
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            c.sendall(("hello %s\n" % path).encode())
            c.close()
    finally:
        os.unlink(path)


def unix_ask(path, timeout):
    first_line(socket.AF_UNIX, path, timeout)


def main(argv):
    if len(argv) < 2:
        usage()
    cmd, args = argv[1], argv[2:]
    try:
        if cmd == "hello" and len(args) == 2:
            hello(args[0], float(args[1]))
        elif cmd == "udp-echo" and len(args) in (3, 4):
            udp_echo(args[0], int(args[1]), float(args[2]), args[3] if len(args) == 4 else None)
        elif cmd == "connect" and len(args) in (2, 3):
            connect(args[0], int(args[1]), float(args[2]) if len(args) == 3 else 2.0)
        elif cmd == "udp-ask" and len(args) in (3, 4):
            udp_ask(args[0], int(args[1]), args[2], float(args[3]) if len(args) == 4 else 2.0)
        elif cmd == "http-get" and len(args) in (3, 4):
            http_get(args[0], int(args[1]), args[2], float(args[3]) if len(args) == 4 else 2.0)
        elif cmd == "ifaddr" and len(args) == 1:
            ifaddr(args[0])
        elif cmd == "unix-hello" and len(args) == 2:
            unix_hello(args[0], float(args[1]))
        elif cmd == "unix-ask" and len(args) in (1, 2):
            unix_ask(args[0], float(args[1]) if len(args) == 2 else 2.0)
        else:
            usage()
    except ValueError:
        usage()


if __name__ == "__main__":
    main(sys.argv)
