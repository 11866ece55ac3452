"""Who is signed in, read on every request by statements written once (`base.rows`): the user and
the session read exactly as the ORM reads them, and nobody for an account that may not sign in, an
id that is no one's, or a session past its expiry."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncbnet.base import clock
from ncbnet.base.rows import Reader
from ncbnet.core.models import User
from ncbnet.security.backends import UserBackend
from ncbnet.security.sessions import SessionStore

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first_name=TEXT,
    last_name=TEXT,
    language=st.sampled_from(["", "fr", "es", "ar"]),
    time_zone=st.sampled_from(["UTC", "Africa/Nairobi", "America/Bogota"]),
    last_login=st.none() | st.datetimes(min_value=datetime(2000, 1, 1), timezones=st.just(UTC)),
    active=st.booleans(),
    must_change=st.booleans(),
)
def test_the_user_reads_as_the_orm_reads_it(
    user_factory, first_name, last_name, language, time_zone, last_login, active, must_change
):
    user = user_factory()
    User.objects.filter(pk=user.pk).update(
        first_name=first_name,
        last_name=last_name,
        language=language,
        time_zone=time_zone,
        last_login=last_login,
        is_active=active,
        password_must_change=must_change,
    )
    read = UserBackend().get_user(user.pk)
    if not active:
        assert read is None  # deactivated: signed out at their next request
        return
    expected = User.objects.get(pk=user.pk)
    assert read is not None and not read._state.adding
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(expected, field.attname), field.name


@pytest.mark.django_db
def test_an_id_that_is_no_ones_is_nobody(user_factory):
    user = user_factory()
    assert UserBackend().get_user(user.pk + 1000) is None
    assert UserBackend().get_user("not a number") is None


@pytest.mark.django_db
def test_a_session_reads_until_it_expires_on_the_nodes_clock(user_factory):
    store = SessionStore()
    store["who"] = "fr-officer"
    store.set_expiry(600)
    store.save()
    assert SessionStore(store.session_key).load() == DjangoStore(store.session_key).load()
    assert SessionStore(store.session_key)["who"] == "fr-officer"
    with clock.frozen(clock.now() + timedelta(seconds=601)):
        expired = SessionStore(store.session_key)
        assert expired.load() == {}
        assert expired.session_key is None  # a new one is made if anything is stored


@pytest.mark.django_db
def test_a_statement_takes_as_many_values_as_it_names_fields():
    reader = Reader(lambda model: model.objects.filter(username="", last_name="x"), "username")
    with pytest.raises(ValueError, match="takes 2 values"):
        reader.plan(User)
