"""The crawler's host parsing and address policy, without a network (see test_crawler.py for servers)."""

from __future__ import annotations

import socket

import pytest

from corpus_builder.acquire.crawler_guard import (
    AddressPolicy,
    InvalidTarget,
    RefusedAddress,
    RefusedTarget,
    guarded_socket_factory,
    parse_target,
    refusal_in,
    whatwg_ipv4,
)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.0.0.1.", "127.0.0.1"),  # one trailing dot is allowed
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),  # "0x" alone is hex zero in the URL Standard
        ("0xA9.0376.0xa9fe", "169.254.169.254"),
        ("4294967295", "255.255.255.255"),
        ("example.com", None),
        ("xn--r8jz45g.jp", None),
        ("1.example", None),
    ],
)
def test_whatwg_ipv4_forms(host: str, address: str | None) -> None:
    got = whatwg_ipv4(host)
    assert (str(got) if got is not None else None) == address


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.0.0.1", "4294967296", "0x1g.0.0.1", "09.0.0.1", "1..2", "0x100.0.0.1"]
)
def test_whatwg_ipv4_rejects_hosts_that_end_in_a_number_but_are_no_address(host: str) -> None:
    with pytest.raises(InvalidTarget):
        whatwg_ipv4(host)


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.2",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.100.100.200",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1%lo",
        "fd00:ec2::254",
        "::ffff:127.0.0.2",
        "::127.0.0.2",  # IPv4-compatible: is_global is True for it in Python's ipaddress
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254: is_global is True too
        "64:ff9b:1::a00:1",
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "ff02::1",
    ],
)
def test_not_public_addresses_refused(ip: str) -> None:
    assert not AddressPolicy().allows(ip)


def test_public_and_explicitly_allowed_addresses() -> None:
    policy = AddressPolicy()
    assert policy.allows("93.184.216.34") and policy.allows("2606:4700::1111")
    assert policy.allows("64:ff9b::5db8:d822")  # NAT64 of a public address
    local = AddressPolicy(allow_networks=["127.0.0.1/32"])
    assert local.allows("127.0.0.1") and local.allows("::ffff:127.0.0.1")
    assert not local.allows("127.0.0.2") and not local.allows("::ffff:127.0.0.2")
    assert AddressPolicy(allow_private=True).allows("10.0.0.1")
    with pytest.raises(ValueError):
        AddressPolicy(allow_networks=["not-a-cidr"])


def test_parse_target_keys_on_scheme_host_port_without_userinfo() -> None:
    policy = AddressPolicy()
    keys = {
        parse_target(u, policy).key
        for u in (
            "http://example.com/a",
            "http://u1@example.com/b",
            "http://u2:pw@EXAMPLE.com:80/c",
            "http://example.com./d",
        )
    }
    assert keys == {"http://example.com:80"}
    assert parse_target("https://example.com/", policy).key == "https://example.com:443"
    assert parse_target("https://日本語.jp:8443/", policy).origin == "https://xn--wgv71a119e.jp:8443"
    assert parse_target("http://[2606:4700::1111]/", policy).origin == "http://[2606:4700::1111]"


@pytest.mark.parametrize(
    ("url", "error", "words"),
    [
        ("http://１２７.０.０.２/", RefusedTarget, "non-public address 127.0.0.2"),
        ("http://127.0.0.²/", RefusedTarget, "non-public address 127.0.0.2"),
        ("http://¹69.254.169.254/", RefusedTarget, "non-public address 169.254.169.254"),
        ("http://0xa9fea9fe/", RefusedTarget, "non-public address 169.254.169.254, spelled '0xa9fea9fe'"),
        ("http://[::ffff:a9fe:a9fe%25eth0]/", RefusedTarget, "non-public address ::ffff:a9fe:a9fe"),
        ("http://0x5db8d822/", InvalidTarget, "non-canonical spelling of 93.184.216.34"),
        ("http://%31.2.3.4/", InvalidTarget, "percent-encoded host"),
        ("http://[::1/x", InvalidTarget, "malformed URL"),
        ("http://" + "a" * 64 + ".com/", InvalidTarget, "not a valid DNS name"),
        ("http://" + "a." * 130 + "com/", InvalidTarget, "not a valid DNS name"),
        ("http:///path", InvalidTarget, "no host"),
        ("http://example.com:0/", InvalidTarget, "bad port"),
        ("file:///etc/passwd", RefusedTarget, "unsupported scheme 'file'"),
        ("gopher://127.0.0.1:6379/_", RefusedTarget, "unsupported scheme 'gopher'"),
    ],
)
def test_parse_target_errors(url: str, error: type, words: str) -> None:
    with pytest.raises(error) as info:
        parse_target(url, AddressPolicy())
    assert words in str(info.value)


def test_socket_factory_refuses_before_opening_a_socket() -> None:
    factory = guarded_socket_factory(AddressPolicy(allow_networks=["127.0.0.1/32"]))
    with pytest.raises(RefusedAddress) as info:
        factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", 80)))
    assert refusal_in(info.value) == "refused: connection to non-public address 127.0.0.2"
    folded = OSError(f"Multiple exceptions: {info.value}, [Errno 13] {RefusedAddress('::1').strerror}")
    assert refusal_in(folded) == "refused: connection to non-public address 127.0.0.2, ::1"
    sock = factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80)))
    try:
        assert sock.family == socket.AF_INET and sock.fileno() >= 0
    finally:
        sock.close()
    assert refusal_in(ConnectionRefusedError(111, "Connection refused")) is None
