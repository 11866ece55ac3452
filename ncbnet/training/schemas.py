"""What crosses the network for training, each body bounded and checked before its handler runs:

- `training.course` (hub → every node): a course of the catalogue, modules, material and quiz;
- `training.requirements` (hub → every node): the courses each role needs;
- `training.completion` (a node → hub): a user's completion with the quiz answers, re-graded there;
- `training.certificate` (hub → the node): the signed credential, or why none was issued;
- `training.status_list` (hub → every node): the signed revocation list.

The same `CourseContent` checks what the GS's training staff author at the hub."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from ncbnet.network.wire import Body, Count, Id, Json, Stamp, Text150, Text300

LANGUAGES = ("en", "fr", "es", "ar")
MAX_MODULES = 20
MAX_PAGE = 20_000  # characters of one module's page in one language
MAX_MATERIAL = 256 * 1024  # bytes of one downloadable file
MAX_MATERIALS = 4  # files per module
MAX_QUESTIONS = 40
MAX_CHOICES = 8
MAX_VALIDITY = 3653  # ten years
Role = Literal["officer", "head", "admin", "query", "contribute"]  # a bureau's and its agencies' roles
ROLES: tuple[str, ...] = get_args(Role)

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9-]{1,15}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]
Language = Literal["en", "fr", "es", "ar"]


def _printable(value: str) -> str:
    if any(not (c.isprintable() or c in "\n\t") for c in value):
        raise ValueError("holds control characters")
    return value


Title = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
Page = Annotated[str, StringConstraints(max_length=MAX_PAGE), AfterValidator(_printable)]
Texts = Annotated[dict[Language, Title], Field(min_length=1)]


def _has_english(value: dict[str, str]) -> dict[str, str]:
    if "en" not in value:
        raise ValueError("needs at least the English text")
    return value


Titles = Annotated[dict[Language, Title], AfterValidator(_has_english)]


class Material(Body):
    language: Language
    filename: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    media_type: Literal["application/pdf", "text/plain", "text/markdown", "image/png"]
    data: Annotated[str, StringConstraints(max_length=(MAX_MATERIAL * 4) // 3 + 4)]

    @model_validator(mode="after")
    def base64(self) -> Material:
        try:
            base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data: base64 of the file") from None
        return self


class Module(Body):
    key: Key
    title: Titles
    pages: dict[Language, Page] = Field(default_factory=dict)
    material: list[Material] = Field(default_factory=list, max_length=MAX_MATERIALS)


class Choice(Body):
    key: Key
    text: Titles


class Question(Body):
    key: Key
    text: Titles
    choices: list[Choice] = Field(min_length=2, max_length=MAX_CHOICES)
    answer: list[Key] = Field(min_length=1, max_length=MAX_CHOICES)

    @model_validator(mode="after")
    def answers_are_choices(self) -> Question:
        keys = [c.key for c in self.choices]
        if len(set(keys)) != len(keys):
            raise ValueError("a choice is given twice")
        if not set(self.answer) <= set(keys) or len(set(self.answer)) != len(self.answer):
            raise ValueError("the answer names choices the question does not have")
        return self


class Quiz(Body):
    pass_mark: int = Field(ge=1, le=100)
    questions: list[Question] = Field(min_length=1, max_length=MAX_QUESTIONS)

    @model_validator(mode="after")
    def each_question_once(self) -> Quiz:
        keys = [q.key for q in self.questions]
        if len(set(keys)) != len(keys):
            raise ValueError("a question is given twice")
        return self


class CourseContent(Body):
    modules: list[Module] = Field(min_length=1, max_length=MAX_MODULES)
    quiz: Quiz

    @model_validator(mode="after")
    def each_module_once(self) -> CourseContent:
        keys = [m.key for m in self.modules]
        if len(set(keys)) != len(keys):
            raise ValueError("a module is given twice")
        return self


class CourseBody(Body):
    id: Id
    code: Code
    version: int = Field(ge=1, le=10_000)
    title: Titles
    summary: dict[Language, Annotated[str, StringConstraints(max_length=2000)]] = Field(default_factory=dict)
    content: CourseContent
    validity_days: int = Field(ge=1, le=MAX_VALIDITY)
    open_enrolment: bool
    authored_by: Text150
    published_at: Stamp


class RoleCourses(Body):
    role: Role
    courses: list[Code] = Field(max_length=50)


class RequirementsBody(Body):
    published_at: Stamp
    requirements: list[RoleCourses] = Field(max_length=len(ROLES))


Answers = Annotated[dict[Key, list[Key]], Field(max_length=MAX_QUESTIONS)]


class CompletionBody(Body):
    registration: Id
    username: Text150
    name: Text300
    course_code: Code
    course_version: int = Field(ge=1, le=10_000)
    modules_viewed: list[Key] = Field(max_length=MAX_MODULES)
    answers: Answers
    completed_at: Stamp

    @model_validator(mode="after")
    def bounded_answers(self) -> CompletionBody:
        if any(len(v) > MAX_CHOICES for v in self.answers.values()):
            raise ValueError("an answer names more choices than a question has")
        if not re.fullmatch(r"[\w.@+-]{1,150}", self.username):
            raise ValueError("username: not a username")
        return self


class CertificateBody(Body):
    registration: Id
    state: Literal["downloadable", "notpassing"]
    reason: Text300 = ""
    score: Count = 0
    credential: Json = None  # checked by its proof (`credentials.proof_problem`) before it is kept


class StatusListBody(Body):
    credential: Json


def answers_of(data: Any) -> dict[str, list[str]]:
    """Answers from a form or the API, checked as a completion's are."""
    from pydantic import TypeAdapter

    return dict(TypeAdapter(Answers).validate_python(data, strict=True))
