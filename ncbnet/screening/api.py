from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema

from ncbnet.api import allow
from ncbnet.security.policies import AuthedRequest

from . import mrz, services
from .policies import SCREEN

router = Router(tags=["screening"])


class DocumentIn(Schema):
    number: str = Field(min_length=1, max_length=60)
    issuing_country: str = Field("", max_length=2)


class MRZIn(Schema):
    mrz: str = Field(
        min_length=60, max_length=200, description="The lines of the zone, separated by newlines"
    )


class VehicleIn(Schema):
    vin: str = Field("", max_length=30)
    plate: str = Field("", max_length=20)


class FirearmIn(Schema):
    serial_number: str = Field(min_length=1, max_length=60)
    make: str = Field("", max_length=60)


class ResultOut(Schema):
    query: dict[str, Any]
    problems: list[str]
    hits: list[dict[str, Any]]


@router.post("/documents", response=ResultOut, auth=allow(SCREEN), summary="Screen a travel document number")
def document(request: AuthedRequest, payload: DocumentIn) -> dict[str, Any]:
    return asdict(services.document(request.user, payload.number, payload.issuing_country))


@router.post(
    "/mrz",
    response=ResultOut,
    auth=allow(SCREEN),
    summary="Screen a machine-readable zone (TD1, TD2 or TD3; every check digit verified)",
)
def machine_readable_zone(request: AuthedRequest, payload: MRZIn) -> dict[str, Any]:
    try:
        return asdict(services.machine_readable_zone(request.user, payload.mrz))
    except mrz.MRZInvalid as exc:
        raise ValidationError({"mrz": str(exc)}) from exc


@router.post("/vehicles", response=ResultOut, auth=allow(SCREEN), summary="Screen a vehicle by VIN or plate")
def vehicle(request: AuthedRequest, payload: VehicleIn) -> dict[str, Any]:
    if not (payload.vin or payload.plate):
        raise ValidationError({"vin": "a VIN or a plate"})
    return asdict(services.vehicle(request.user, payload.vin, payload.plate))


@router.post("/firearms", response=ResultOut, auth=allow(SCREEN), summary="Screen a firearm by serial number")
def firearm(request: AuthedRequest, payload: FirearmIn) -> dict[str, Any]:
    return asdict(services.firearm(request.user, payload.serial_number, payload.make))
