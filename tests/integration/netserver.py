#!/usr/bin/python3
"""Small servers and clients for network-slirp.bats (standard library only).

Every server ends by itself after SECONDS; every client gives up after
TIMEOUT seconds. Nothing here resolves a name: addresses are numeric, IPv4
or IPv6 (an IPv6 link-local one with its %IFACE).

  hello PORTFILE SECONDS [ADDR]
      TCP and UDP on ADDR (127.0.0.1 unless given; ::1 for IPv6), on a
      port free for both picked at random in 20000-40000 (another one when
      it is taken), written to PORTFILE once listening. Each connection
      gets the line "hello PORT", then is closed; each datagram is
      answered with "hello PORT".
  udp-echo ADDR PORT SECONDS [READYFILE]
      UDP on ADDR:PORT; each datagram comes back prefixed with "echo ".
      READYFILE is created once the socket is bound.
  connect ADDR PORT [TIMEOUT]
      Prints "ok LINE" with the first line the server sent, or
      "error REASON" (refused, timeout, closed, or the errno's name).
  mptcp-connect ADDR PORT [TIMEOUT]
      The same over Multipath TCP (IPPROTO_MPTCP), which falls back to
      plain TCP with a server that does not speak it.
  udp-ask ADDR PORT MESSAGE [TIMEOUT]
      Sends MESSAGE (again every half second until a reply comes), prints
      "ok REPLY" with the first reply or "error REASON".
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
import select
import socket
import sys
import time


IPPROTO_MPTCP = 262     # socket.IPPROTO_MPTCP from Python 3.10 on


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


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def sockaddr(addr, port, kind):
    """(ADDR, PORT) as the socket calls take it; numeric only."""
    return socket.getaddrinfo(addr, port, family(addr), kind, 0, socket.AI_NUMERICHOST)[0][4]


def bind_both(addr):
    """A TCP and a UDP socket bound to the same free port of ADDR."""
    for _ in range(50):
        port = random.randint(20000, 40000)
        pair = []
        try:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                pair.append(socket.socket(family(addr), kind))
                pair[-1].bind(sockaddr(addr, port, kind))
        except OSError as exc:
            for s in pair:
                s.close()
            if exc.errno == errno.EADDRINUSE:
                continue
            raise
        return port, pair[0], pair[1]
    sys.exit("netserver: no free port in 20000-40000 after 50 tries")


def hello(portfile, seconds, addr):
    deadline = time.monotonic() + seconds
    port, srv, udp = bind_both(addr)
    srv.listen(16)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)    # the reader never sees half a number
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        ready, _, _ = select.select([srv, udp], [], [], left)
        if udp in ready:
            try:
                _, peer = udp.recvfrom(2048)
                udp.sendto(b"hello %d" % port, peer)
            except OSError:
                pass
        if srv in ready:
            conn, _ = srv.accept()
            with conn:
                try:
                    conn.sendall(b"hello %d\n" % port)
                except OSError:
                    pass


def udp_echo(addr, port, seconds, readyfile):
    deadline = time.monotonic() + seconds
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.bind(sockaddr(addr, port, socket.SOCK_DGRAM))
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


def first_line(fam, address, timeout, proto=0):
    """Connects, prints "ok LINE" with the first line the server sent, or
    "error REASON"."""
    try:
        s = socket.socket(fam, socket.SOCK_STREAM, proto)
    except OSError as exc:
        print("error " + reason(exc))
        return
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


def connect(addr, port, timeout, proto=0):
    first_line(family(addr), sockaddr(addr, port, socket.SOCK_STREAM), timeout, proto)


def udp_ask(addr, port, message, timeout):
    try:
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
    except OSError as exc:
        print("error " + reason(exc))
        return
    deadline = time.monotonic() + timeout
    data = None
    try:
        # sent again every half second: a helper may drop the first
        # datagram of a flow while it sets the flow up
        while data is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.sendto(message.encode(), sockaddr(addr, port, socket.SOCK_DGRAM))
            s.settimeout(min(0.5, left))
            try:
                data, _ = s.recvfrom(2048)
            except socket.timeout:
                pass
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
        if cmd == "hello" and len(args) in (2, 3):
            hello(args[0], float(args[1]), args[2] if len(args) == 3 else "127.0.0.1")
        elif cmd == "udp-echo" and len(args) in (3, 4):
            udp_echo(args[0], int(args[1]), float(args[2]), args[3] if len(args) == 4 else None)
        elif cmd == "connect" and len(args) in (2, 3):
            connect(args[0], int(args[1]), float(args[2]) if len(args) == 3 else 2.0)
        elif cmd == "mptcp-connect" and len(args) in (2, 3):
            connect(args[0], int(args[1]), float(args[2]) if len(args) == 3 else 2.0, IPPROTO_MPTCP)
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
