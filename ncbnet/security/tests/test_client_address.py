"""The client's address behind reverse proxies: X-Forwarded-For is believed only from a configured
trusted proxy, read from the right, and audit entries record the client, never the proxy."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet import config
from ncbnet.base.chain import AuditEntry
from ncbnet.base.http import client_ip
from ncbnet.tests.test_config import PRODUCTION

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))


@pytest.fixture
def behind_proxies(settings):
    settings.NCBNET_TRUSTED_PROXIES = PROXIES


def request(rf, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # The proxy appended the address it saw; what the client wrote to the left is not believed.
        ("10.0.0.5", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.5", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        # Two trusted proxies in a row: skip both.
        ("10.0.0.5", "203.0.113.9, 10.1.2.3", "203.0.113.9"),
        ("2001:db8:ffff::2", "[2001:db8:1::7]:51234", "2001:db8:1::7"),
        ("10.0.0.5", "203.0.113.9:4431", "203.0.113.9"),
        # No header, or a hop that is no address: the nearest address known for certain.
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "unknown", "10.0.0.5"),
        ("10.0.0.5", "203.0.113.9, garbage, 10.1.2.3", "10.1.2.3"),
        # Only a trusted proxy's header is read: a client sending one itself gets its own address.
        ("203.0.113.9", "10.0.0.1", "203.0.113.9"),
        ("198.51.100.7", "1.2.3.4", "198.51.100.7"),
    ],
)
def test_forwarded_for_is_read_only_from_trusted_proxies(rf, behind_proxies, remote, forwarded, client):
    assert client_ip(request(rf, remote, forwarded)) == client


def test_without_trusted_proxies_the_header_is_ignored(rf, settings):
    settings.NCBNET_TRUSTED_PROXIES = ()
    assert client_ip(request(rf, "10.0.0.5", "203.0.113.9")) == "10.0.0.5"


addresses = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).filter(
    lambda a: not any(a in n for n in PROXIES if n.version == a.version)
)
proxies = st.lists(st.sampled_from(["10.0.0.1", "10.200.3.4", "2001:db8:ffff::9"]), min_size=1, max_size=3)


@given(
    spoofed=st.lists(st.one_of(addresses.map(str), st.text(max_size=20)), max_size=4),
    client=addresses,
    chain=proxies,
)
def test_the_client_is_the_rightmost_untrusted_hop_whatever_it_wrote_itself(spoofed, client, chain):
    """Whatever a client puts in the header, behind any chain of trusted proxies the address the
    first proxy saw is the one recorded."""
    from django.test import RequestFactory, override_settings

    # Each proxy appends the address it saw; the last one is REMOTE_ADDR.
    header = ", ".join([*(s.replace(",", "") for s in spoofed), str(client), *chain[:-1]])
    with override_settings(NCBNET_TRUSTED_PROXIES=PROXIES):
        assert client_ip(request(RequestFactory(), chain[-1], header)) == str(client)


@pytest.mark.django_db
def test_audit_entries_record_the_client_not_the_proxy(client, behind_proxies, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    client.post(
        "/login/",
        {"username": "fr-officer", "password": "not-the-password"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.9",
    )
    entry = AuditEntry.objects.filter(action="auth.login_failed").get()
    assert entry.ip == "203.0.113.9"


@pytest.mark.parametrize("bad", ["10.0.0.1/8", "proxy.example.org", "10.0.0.0/33", "10.0.0.1, 300.1.1.1"])
def test_a_malformed_trusted_proxy_is_refused_at_start(bad):
    with pytest.raises(config.ConfigError) as refused:
        config.load({**PRODUCTION, "NCBNET_TRUSTED_PROXIES": bad})
    assert any(p.startswith("NCBNET_TRUSTED_PROXIES:") for p in refused.value.problems)


def test_trusted_proxies_are_read_with_the_other_settings():
    cfg = config.load({**PRODUCTION, "NCBNET_TRUSTED_PROXIES": " 10.0.0.0/8, 192.0.2.10 ,2001:db8::/32"})
    assert [str(n) for n in cfg.trusted_proxies] == ["10.0.0.0/8", "192.0.2.10/32", "2001:db8::/32"]
