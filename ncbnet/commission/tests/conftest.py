"""The Commission's tests: the hub, its own database, real pages."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ncbnet.commission import services
from ncbnet.commission.models import Request

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "deletion",
        "filer": "self",
        "family_name": "Dupont",
        "given_names": "Marie Claire",
        "date_of_birth": "1980-04-12",
        "nationality": "BE",
        "email": "marie@example.org",
        "representative": "",
        "language": "fr",
        "asked": "Delete the record about me held in the nominal database.",
        "reasons": "The case against me was dismissed in 2019.",
        "identity": SimpleUploadedFile("passport.pdf", PDF, content_type="application/pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def csrf_client() -> Client:
    """A browser-like client: CSRF checked, the token taken from the form as a browser would."""
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def file_through_page(client: Client, **overrides: Any) -> Any:
    token = csrf_token(client, "/commission/file/")
    return client.post("/commission/file/", {"csrfmiddlewaretoken": token, **form_data(**overrides)})


def reference_and_secret(page: str) -> tuple[str, str]:
    reference = re.search(r'id="reference">([^<]+)<', page)
    secret = re.search(r'id="secret">([^<]+)<', page)
    assert reference and secret
    return reference.group(1), secret.group(1)


def follow(client: Client, reference: str, secret: str) -> Any:
    token = csrf_token(client, "/commission/follow/")
    return client.post(
        "/commission/follow/", {"csrfmiddlewaretoken": token, "reference": reference, "secret": secret}
    )


def file_in_browser(
    page: Any, *, family: str, given: str, born: str, nationality: str, asked: str, why: str
) -> None:
    """Fill the filing form in a browser tab (a deletion, by the person, answered in French, with
    a PDF identity document) and send it."""
    page.get_by_label(re.compile(r"^What you ask:?$")).select_option("deletion")
    page.get_by_label("The person concerned").check()
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Given names").fill(given)
    page.get_by_label("Date of birth").fill(born)
    page.get_by_label("Nationality").select_option(nationality)
    page.get_by_label("Email address for the Commission's answers").fill(f"{family.lower()}@example.org")
    page.get_by_label("Language of the answer").select_option("fr")
    page.get_by_label(re.compile("^What you ask the Commission")).fill(asked)
    page.get_by_label(re.compile(r"^Why:?$")).fill(why)
    page.get_by_label(re.compile("^A copy of an identity document")).set_input_files(
        files=[{"name": "passport.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="File the request").click()


def follow_in_browser(page: Any, base: str, reference: str, secret: str) -> None:
    """Open a request's page in a browser tab with its reference and secret."""
    page.goto(base + "/commission/follow/")
    page.get_by_label("Reference").fill(reference)
    page.get_by_label("Secret").fill(secret)
    page.get_by_role("button", name="Show the request").click()


@pytest.fixture
def commission(hub: None, user_factory: Any) -> dict[str, Any]:
    """A member and the secretariat of the Commission, on the hub."""
    return {
        "member": user_factory("commission", "member", username="ccf-member"),
        "secretariat": user_factory("commission", "secretariat", username="ccf-secretariat"),
    }


def filed(kind: str = "deletion", filer: str = "self") -> tuple[Request, str]:
    uploads = [services.Upload("identity", "passport.pdf", "application/pdf", PDF)]
    if filer == "lawyer":
        uploads.append(services.Upload("authority", "mandate.png", "image/png", PNG))
    return services.file_request(
        services.Filing(
            kind=kind,
            filer=filer,
            family_name="Dupont",
            given_names="Marie",
            date_of_birth=date(1980, 4, 12),
            nationality="BE",
            email="marie@example.org",
            representative="Me Martin, Brussels" if filer == "lawyer" else "",
            language="fr",
            asked="Delete the record about me.",
            reasons="Dismissed.",
        ),
        uploads,
        "198.51.100.7",
    )
