"""The test suite's network guard, imported by every Python process the tests start
(tests/conftest.py puts this directory on PYTHONPATH and names a log file in
UNION_NETGUARD_LOG).

An audit hook sees each socket connect, send and name lookup; one aimed at anything but
a loopback address (or a loopback name) is refused as an unreachable network would
refuse it and written to the log, which the tests check.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

LOG_ENV = "UNION_NETGUARD_LOG"
_LOOKUPS = (
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
)
_LOOPBACK_NAMES = ("localhost", "localhost.", "ip6-localhost", "ip6-loopback")


def _hosts_file_names() -> frozenset[str]:
    """Names the hosts file answers: looking them up sends nothing (their addresses are
    checked when connected to)."""
    try:
        with open("/etc/hosts", encoding="utf-8", errors="replace") as fh:
            return frozenset(name.lower() for line in fh for name in line.split("#")[0].split()[1:])
    except OSError:
        return frozenset()


_HOSTS = _hosts_file_names()


def loopback(host) -> bool:
    """Is ``host`` (an address in any spelling libc accepts, or a name) on this machine?"""
    if host is None:
        return True  # a wildcard: binding, never a destination
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0].lower()
    if (
        host in ("", "0.0.0.0", "::")
        or host in _LOOPBACK_NAMES
        or host in _HOSTS
        or host.endswith(".localhost")
    ):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return False  # a name that would go to DNS
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _target(event: str, args):
    """The host an event goes to, or None when it is no network destination."""
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return None  # Unix sockets, netlink
        if not isinstance(address, tuple):
            return None  # sendmsg on a connected socket: its connect was checked
        return address[0]
    if event in _LOOKUPS:
        host = args[0]
        if event == "socket.getnameinfo":
            host = host[0] if isinstance(host, tuple) else host
        return host
    return None


def install(log_path: str) -> None:
    def hook(event, args):
        if not event.startswith("socket."):
            return
        host = _target(event, args)
        if host is None or loopback(host):
            return
        try:
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{os.getpid()} {event} {host!r} {' '.join(sys.argv)[:300]}\n")
        except OSError:
            pass  # a process without write access still has its traffic refused
        if event in _LOOKUPS:
            raise socket.gaierror(socket.EAI_NONAME, f"the test suite refuses {host!r}")
        raise OSError(101, f"the test suite refuses {host!r}")  # ENETUNREACH

    sys.addaudithook(hook)


if os.environ.get(LOG_ENV):
    install(os.environ[LOG_ENV])
