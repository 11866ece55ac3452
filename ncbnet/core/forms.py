from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Agency, SubBureau, User

TIME_ZONES = sorted(available_timezones())


class UserForm(forms.Form):
    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]{3,150}$", max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"))
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none(), required=False)
    sub_bureau = forms.ModelChoiceField(
        label=_("Sub-Bureau"), queryset=SubBureau.objects.none(), required=False
    )
    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Hand it over in person: at first sign-in it is changed, "
            "then the second factor is set up."
        ),
    )

    def __init__(
        self,
        *args: Any,
        actor: User,
        agencies: QuerySet[Agency],
        sub_bureaus: QuerySet[SubBureau] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, forms.ModelChoiceField)
        agency_field.queryset = agencies
        sub_field = self.fields["sub_bureau"]
        assert isinstance(sub_field, forms.ModelChoiceField)
        sub_field.queryset = sub_bureaus if sub_bureaus is not None else SubBureau.objects.none()
        roles = []
        kinds: tuple[str, ...]
        if actor.kind == User.Kind.NCB:
            kinds = (User.Kind.NCB, User.Kind.AGENCY, User.Kind.SYSTEM)
        else:
            kinds = (User.Kind.GS, User.Kind.SYSTEM)
        for kind in kinds:
            for role in User.ROLES_BY_KIND[kind]:
                roles.append((f"{kind}:{role}", f"{User.Kind(kind).label} — {User.Role(role).label}"))
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = roles

    def kind_and_role(self) -> tuple[str, str]:
        kind, role = self.cleaned_data["role"].split(":", 1)
        return kind, role


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(z, z) for z in TIME_ZONES])


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=Agency.Kind.choices)


class SubBureauForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    city = forms.CharField(label=_("City"), max_length=100)


class AgencyUserForm(forms.Form):
    """An account for a user of one agency, with the access the NCB grants."""

    username = forms.RegexField(label=_("Username"), regex=r"^[\w.@+-]{3,150}$", max_length=150)
    first_name = forms.CharField(label=_("Given name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(
        label=_("Access"),
        choices=[(r, User.Role(r).label) for r in User.ROLES_BY_KIND[User.Kind.AGENCY]],
    )
    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Hand it over in person: at first sign-in it is changed, "
            "then the second factor is set up."
        ),
    )
