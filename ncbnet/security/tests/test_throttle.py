"""A flood of failed sign-ins or bad bearer tokens from one address is refused before it costs an
Argon2 hash or a chained audit entry each; what was refused is summarised in the audit trail."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

from ncbnet.base import clock
from ncbnet.base.chain import AuditEntry
from ncbnet.conftest import PASSWORD
from ncbnet.security import services, throttle

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.20"


class CountingArgon2(Argon2PasswordHasher):
    """Django's Argon2 hasher, counting the hashes it computes."""

    hashes = 0

    def encode(self, password, salt):
        CountingArgon2.hashes += 1
        return super().encode(password, salt)

    def verify(self, password, encoded):
        CountingArgon2.hashes += 1
        return super().verify(password, encoded)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingArgon2"]
    CountingArgon2.hashes = 0
    return CountingArgon2


@pytest.fixture
def fast_limits(settings):
    settings.NCBNET_THROTTLE_FAILURES = 5


WRONG = "wrong-password-x"


def attempt(client, address, username="fr-officer", password=WRONG):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def entries() -> int:
    return AuditEntry.objects.count()


def test_a_flood_of_failed_sign_ins_is_refused_before_the_hash_and_summarised(
    client, user_factory, fast_limits, counting_hasher
):
    user_factory("ncb", "officer", username="fr-officer")
    limit = settings.NCBNET_THROTTLE_FAILURES
    for i in range(limit):
        attempt(client, ATTACKER, username=f"someone-{i}")  # few failures per account: no lock-out
    assert AuditEntry.objects.filter(action="auth.throttled", ip=ATTACKER).count() == 1
    hashes, audited = counting_hasher.hashes, entries()
    for _ in range(100):
        refused = attempt(client, ATTACKER, password=PASSWORD)  # even the right password
        assert refused.status_code == 429
        assert "Too many failed attempts from your network address" in refused.content.decode()
        assert int(refused["Retry-After"]) > 0
    assert counting_hasher.hashes == hashes  # no Argon2 hash
    assert entries() == audited  # and no audit entry, each

    # Another address (an officer at their bureau) is not affected.
    assert attempt(client, OFFICE, password=PASSWORD).status_code == 302

    with clock.travel(timedelta(minutes=settings.NCBNET_THROTTLE_MINUTES, seconds=1)):
        assert attempt(client, ATTACKER, password=PASSWORD).status_code == 302
    summary = AuditEntry.objects.filter(action="auth.throttle_refused").get()
    assert summary.detail["refused"] == 100 and summary.ip == ATTACKER


def test_the_periodic_job_summarises_a_block_nobody_came_back_to(client, db, fast_limits):
    for i in range(settings.NCBNET_THROTTLE_FAILURES + 7):
        attempt(client, ATTACKER, username=f"someone-{i}")
    assert throttle.tidy() == 0  # still blocked: nothing to summarise yet
    with clock.travel(timedelta(minutes=settings.NCBNET_THROTTLE_MINUTES, seconds=1)):
        assert throttle.tidy() == 1
        assert throttle.tidy() == 0
    assert AuditEntry.objects.get(action="auth.throttle_refused").detail["refused"] == 7


def test_unknown_usernames_still_cost_a_hash_so_timing_does_not_tell_who_exists(
    client, user_factory, counting_hasher
):
    user_factory("ncb", "officer", username="fr-officer")
    counting_hasher.hashes = 0
    attempt(client, OFFICE, username="nobody-at-all")
    unknown = counting_hasher.hashes
    counting_hasher.hashes = 0
    attempt(client, OFFICE, username="fr-officer")
    assert unknown == counting_hasher.hashes == 1


def test_a_flood_of_bad_bearer_tokens_is_refused_before_the_lookup(client, user_factory, fast_limits):
    system = user_factory("system", "system", username="fr-border-system")
    _token, raw = services.create_token(None, system, "gates", scopes=["screening"])
    for i in range(settings.NCBNET_THROTTLE_FAILURES):
        assert (
            client.get(
                "/api/v1/me", HTTP_AUTHORIZATION=f"Bearer ncb_{i:012x}_guess", REMOTE_ADDR=ATTACKER
            ).status_code
            == 401
        )
    audited = entries()
    for _ in range(50):
        refused = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=ATTACKER)
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/problem+json"
        assert int(refused["Retry-After"]) > 0
    assert entries() == audited
    ok = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=OFFICE)
    assert ok.status_code == 200


def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(client, settings, db, fast_limits):
    import ipaddress

    settings.NCBNET_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    for i in range(settings.NCBNET_THROTTLE_FAILURES):
        client.post(
            "/login/",
            {"username": f"someone-{i}", "password": "wrong-password-x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=ATTACKER,
        )
    blocked = client.post(
        "/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=ATTACKER
    )
    other = client.post(
        "/login/", {"username": "x", "password": "y"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=OFFICE
    )
    assert blocked.status_code == 429 and other.status_code == 400
