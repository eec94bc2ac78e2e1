"""Which addresses a crawl may connect to.

Loopback (127.0.0.0/8, ::1, 0.0.0.0/8, localhost) needs ``--allow-loopback``; every other
address that is not globally routable (private, link-local such as a cloud's metadata
service 169.254.169.254, carrier-grade NAT, reserved, multicast) needs ``--allow-private``.

A host is judged by the address it stands for, however it is spelled: ``127.1``,
``2130706433``, ``0x7f000001`` and ``0251.0376.0251.0376`` are the numeric forms the C
library (and browsers) read as IPv4 addresses, and IPv4-mapped IPv6 addresses are their
IPv4 address.  A host name is judged by what it resolves to (``resolved_refusal`` before
a crawl, the download handler at every connection).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMERIC = re.compile(r"[0-9a-fx.]+")
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # Linux connects 0.0.0.0 to this host
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOOPBACK = "loopback address"
PRIVATE = "private or link-local address"


class RefusedAddress(Exception):
    """A connection to an address the crawl's settings refuse (never retried)."""


def host_address(host: str) -> IPAddress | None:
    """The IP address a URL's host names literally (any numeric spelling), else None."""
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    host = host[:-1] if host.endswith(".") else host
    if not _NUMERIC.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # as the resolver reads it
    except OSError:
        return None


def address_kind(ip: IPAddress) -> str | None:
    """LOOPBACK, PRIVATE, or None for a globally routable address."""
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_loopback or ip.is_unspecified or (ip.version == 4 and ip in _THIS_NETWORK):
        return LOOPBACK
    if not ip.is_global or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast:
        return PRIVATE
    return None


def _allowed(kind: str | None, allow_loopback: bool, allow_private: bool) -> bool:
    return kind is None or (allow_loopback if kind == LOOPBACK else allow_private)


def flag(kind: str) -> str:
    return "--allow-loopback" if kind == LOOPBACK else "--allow-private"


@functools.lru_cache(maxsize=4096)
def address_refused(host: str, allow_loopback: bool, allow_private: bool) -> str | None:
    """Why a host is out of scope by its text (an address in any spelling, or a
    localhost name), else None; other names are judged once resolved."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        kind = LOOPBACK
    else:
        ip = host_address(host)
        kind = address_kind(ip) if ip is not None else None
    return None if _allowed(kind, allow_loopback, allow_private) else kind


def connect_refusal(
    ip: str | IPAddress, allow_loopback: bool, allow_private: bool, host: str | None = None
) -> str | None:
    """One line when a connection to ``ip`` (reached through ``host``) is refused, else None."""
    ip = ipaddress.ip_address(ip.split("%")[0] if isinstance(ip, str) else ip)
    kind = address_kind(ip)
    if _allowed(kind, allow_loopback, allow_private):
        return None
    name = host.strip("[]").lower() if host else ""
    where = f"{name} is {ip}" if name and name != str(ip) else str(ip)
    return f"{kind} refused: {where} (pass {flag(kind)} to allow it)"


def resolved_refusal(host: str, port: int, allow_loopback: bool, allow_private: bool) -> str | None:
    """One line when any address ``host`` resolves to is refused; None when all are
    allowed or the name does not resolve (that is for the reachability check to say)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None
    for *_, sockaddr in answers:
        why = connect_refusal(sockaddr[0], allow_loopback, allow_private, host)
        if why:
            return why
    return None
