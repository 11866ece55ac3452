"""Four languages; Arabic right to left; every catalogue complete and compiled."""

import gettext
import re

import pytest
from django.conf import settings
from django.utils import translation

from ncbnet.conftest import sign_in

LANGS = ["fr", "es", "ar"]


def po_messages(lang: str) -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> msgstr of the singular, placeholder-free entries of a catalogue."""
    text = (settings.LOCALE_PATHS[0] / lang / "LC_MESSAGES" / "django.po").read_text("utf-8")
    out = {}
    for block in text.split("\n\n")[1:]:
        m = re.search(r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if m:
            context = m.group(1)
            msgid, msgstr = ("".join(re.findall(r'"(.*)"', g)) for g in m.groups()[1:])
            if msgid and "%(" not in msgid and "\\" not in msgid:
                out[(context, msgid)] = msgstr
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete_and_compiled(lang):
    po = (settings.LOCALE_PATHS[0] / lang / "LC_MESSAGES" / "django.po").read_text("utf-8")
    assert "#, fuzzy" not in po
    assert not re.search(r'msgstr ""\n\n', po.split("\n\n", 1)[1] + "\n\n"), "untranslated message"
    mo = settings.LOCALE_PATHS[0] / lang / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    messages = po_messages(lang)
    assert len(messages) > 100
    missing = [
        m
        for (context, m), translated in messages.items()
        if (catalog.pgettext(context, m) if context else catalog.gettext(m)) != translated
    ]
    assert not missing, f"{lang}.mo is stale (run `make messages`): {missing[:3]}"


@pytest.mark.parametrize(
    ("lang", "sign_in_label"),
    [("en", "Sign in"), ("fr", "Se connecter"), ("es", "Iniciar sesión"), ("ar", "تسجيل الدخول")],
)
def test_login_page_in_each_language(client, db, lang, sign_in_label):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    page = client.get("/login/").content.decode()
    assert f'lang="{lang}"' in page
    assert ('dir="rtl"' in page) == (lang == "ar")
    with translation.override(lang):
        assert translation.gettext("Sign in") in page
    assert sign_in_label in page


@pytest.mark.django_db
def test_home_page_in_arabic_is_right_to_left(client, user_factory):
    user_factory("ncb", "officer", username="fr-officer")
    sign_in(client, "fr-officer")
    client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    with translation.override("ar"):
        assert translation.gettext("Member countries") in page
