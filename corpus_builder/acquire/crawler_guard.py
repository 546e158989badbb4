"""Which hosts and addresses the crawler may contact (its SSRF guard).

Two checks, both on what the HTTP client really uses rather than on the text of the URL:

* :func:`parse_target` reads a URL with ``yarl`` -- the parser aiohttp itself uses, so a host comes out
  exactly as the client will connect to it (UTS-46/IDNA mapping: ``１２７.０.０.２`` and ``127.0.0.²`` are
  ``127.0.0.2``) -- and then applies the WHATWG URL Standard's IPv4 parser (decimal, octal, hex, mixed
  and short forms: ``2130706434``, ``0177.0.0.2``, ``0x7f.2``).  An IP host that is not public is refused
  before anything is sent; a host that cannot be a valid DNS name or address is invalid.
* :func:`guarded_socket_factory` is handed to aiohttp's ``TCPConnector(socket_factory=...)``, which
  calls it for every address it is about to connect to -- after DNS, for every resolved address, on every
  hop.  So names resolving to private addresses, and DNS rebinding (public on one lookup, private on the
  next), are refused at connection time, whatever the URL looked like.

Not public: loopback, RFC 1918, link-local (169.254.169.254 metadata), CGNAT 100.64/10 (also the
100.100.100.200 metadata address), multicast, reserved, unspecified, and IPv6 forms that carry such an
IPv4 address (IPv4-mapped ``::ffff:0:0/96``, IPv4-compatible ``::/96``, NAT64 ``64:ff9b::/96`` and
``64:ff9b:1::/48`` (RFC 6052, RFC 8215), 6to4 ``2002::/16``) and every Teredo address.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import yarl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NOT_GLOBAL_EXTRA = (ipaddress.ip_network("100.64.0.0/10"),)  # CGNAT; is_global is True for it on 3.10
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_MAX_LABEL, _MAX_NAME = 63, 253  # RFC 1035 §2.3.4 (253 = 255 octets less the length bytes)
DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidTarget(ValueError):
    """A URL or host that cannot be fetched as written (malformed, bad host, bad port)."""


class RefusedTarget(Exception):
    """A target the policy forbids (scheme, or a non-public address); nothing is sent to it."""


class RefusedAddress(OSError):
    """Raised inside aiohttp's connector for an address the policy forbids; the socket is never opened."""

    def __init__(self, ip: str) -> None:
        super().__init__(errno.EACCES, f"refused: connection to non-public address {ip}")
        self.ip = ip


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr in _IPV4_COMPATIBLE and int(addr) > 1:  # "::a.b.c.d" (RFC 4291 §2.5.5.1, deprecated)
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if any(addr in net for net in _NAT64):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


class AddressPolicy:
    """Globally routable unicast addresses, plus ``allow_networks`` (or everything with ``allow_private``)."""

    def __init__(self, *, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.networks = [ipaddress.ip_network(n, strict=False) for n in allow_networks]

    def allows(self, ip: str | IPAddress) -> bool:
        addr = ip if not isinstance(ip, str) else ipaddress.ip_address(ip.split("%", 1)[0])
        if self.allow_private:
            return True
        if any(addr in n for n in self.networks if n.version == addr.version):
            return True
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.teredo is not None:
                return False
            embedded = _embedded_ipv4(addr)
            if embedded is not None:
                return self.allows(embedded)
        if any(addr in n for n in _NOT_GLOBAL_EXTRA if n.version == addr.version):
            return False
        return addr.is_global and not addr.is_multicast


def address_allowed(ip: str, *, allow_private: bool = False, allow_networks: Iterable[str] = ()) -> bool:
    """Is ``ip`` a globally routable unicast address (or explicitly allowed)?"""
    return AddressPolicy(allow_private=allow_private, allow_networks=allow_networks).allows(ip)


def _whatwg_ipv4_number(part: str) -> int | None:
    """URL Standard "IPv4 number parser": 0x.. hex, 0.. octal, else decimal; None when not a number."""
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0
    allowed = "0123456789abcdefABCDEF"[: 10 if base == 10 else (8 if base == 8 else 22)]
    if not all(c in allowed for c in digits):
        return None
    return int(digits, base)


def _ends_in_a_number(host: str) -> bool:
    """URL Standard "ends in a number checker": such a host must parse as IPv4 or the URL is invalid."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(last) and (last.isascii() and last.isdigit() or _whatwg_ipv4_number(last) is not None)


def whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a host denotes under the URL Standard's IPv4 parser; None if it does not end in a
    number (a domain name); raises InvalidTarget if it ends in a number but is no valid IPv4 address."""
    if not _ends_in_a_number(host):
        return None
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_whatwg_ipv4_number(p) if p else None for p in parts]
    if len(parts) > 4 or any(n is None for n in numbers):
        raise InvalidTarget(f"host {host!r} ends in a number but is not an IPv4 address")
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):  # type: ignore[operator]
        raise InvalidTarget(f"host {host!r} is an IPv4 address out of range")
    value = last
    for i, n in enumerate(head):
        value += n * 256 ** (3 - i)  # type: ignore[operator]
    return ipaddress.IPv4Address(value)


@dataclass(frozen=True)
class Target:
    """Where a URL's request goes: scheme, host as the client connects to it, port."""

    scheme: str
    host: str  # lower-case ASCII (IDNA) name without trailing dot, or a canonical IP literal
    port: int
    ip: IPAddress | None  # the host is an IP literal

    @property
    def key(self) -> str:
        """Politeness and robots.txt key: scheme+host+port (no userinfo, default port explicit)."""
        return f"{self.scheme}://{self.netloc}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` with the default port left out (for robots.txt URLs)."""
        port = "" if DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{self.netloc}{port}"


_LABEL = re.compile(rf"[a-z0-9_-]{{1,{_MAX_LABEL}}}")  # after IDNA; "_" occurs in real host names


def _check_dns_name(host: str) -> None:
    if len(host) > _MAX_NAME or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise InvalidTarget(
            f"host {host[:80]!r}{'...' if len(host) > 80 else ''} is not a valid DNS name"
            f" (labels of 1-{_MAX_LABEL} letters, digits, '-' or '_'; at most {_MAX_NAME} characters)"
        )


def parse_target(url: str, policy: AddressPolicy) -> Target:
    """The target of ``url`` as aiohttp will contact it; raises InvalidTarget or RefusedTarget."""
    try:
        parsed = yarl.URL(url)
        scheme, raw_host, port = parsed.scheme.lower(), parsed.raw_host, parsed.port
    except (ValueError, UnicodeError, TypeError) as exc:
        raise InvalidTarget(f"malformed URL: {exc}") from None
    if scheme not in DEFAULT_PORTS:
        raise RefusedTarget(f"refused: unsupported scheme {scheme!r}")
    if not raw_host:
        raise InvalidTarget("URL has no host")
    if port is None or not 0 < port < 65536:
        raise InvalidTarget(f"bad port {port}")
    if ":" in raw_host:  # IPv6 literal, possibly with a zone id (%25zone): the zone never makes it public
        literal = raw_host.replace("%25", "%").split("%", 1)[0]
        try:
            ip: IPAddress | None = ipaddress.IPv6Address(literal)
        except ValueError:
            raise InvalidTarget(f"bad IPv6 host {raw_host!r}") from None
        host = str(ip)
    else:
        # aiohttp and getaddrinfo treat "a.b." and "a.b.." as "a.b"
        host = raw_host.lower().rstrip(".")
        if not host:
            raise InvalidTarget(f"bad host {raw_host!r}")
        if "%" in host:  # yarl keeps percent-escapes in a host; a browser would decode them first
            raise InvalidTarget(f"percent-encoded host {raw_host!r}")
        ip = whatwg_ipv4(host)
        if ip is None:
            _check_dns_name(host)
        elif str(ip) != host and policy.allows(ip):
            raise InvalidTarget(f"host {raw_host!r} is a non-canonical spelling of {ip}")
        else:
            host = str(ip)
    if ip is not None and not policy.allows(ip):
        spelled = "" if raw_host == str(ip) else f", spelled {raw_host!r}"
        raise RefusedTarget(f"refused: non-public address {ip}{spelled}")
    return Target(scheme, host, port, ip)


def guarded_socket_factory(policy: AddressPolicy) -> Callable[[tuple], socket.socket]:
    """A ``socket_factory`` for aiohttp's TCPConnector that refuses to open a socket to a forbidden
    address: every connection attempt (each resolved address, each hop, each retry) passes here."""

    def factory(addr_info: tuple) -> socket.socket:
        family, type_, proto, _, sockaddr = addr_info
        if not policy.allows(sockaddr[0]):
            raise RefusedAddress(sockaddr[0])
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


_REFUSED_ADDRESS = re.compile(r"refused: connection to non-public address ([0-9A-Za-z:.%_-]+)")


def refusal_in(exc: BaseException) -> str | None:
    """The refusal message if ``exc`` (an aiohttp connector error) was caused by the socket factory.

    aiohappyeyeballs folds the failures of several addresses into one OSError that keeps only their
    messages, so the refused addresses are read back from the text in that case.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, RefusedAddress):
            return e.strerror
        if isinstance(e, OSError) and (ips := _REFUSED_ADDRESS.findall(str(e))):
            return f"refused: connection to non-public address {', '.join(dict.fromkeys(ips))}"
        todo += [e.__cause__, e.__context__, getattr(e, "os_error", None)]
    return None
