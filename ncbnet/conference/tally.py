"""The tally of a poll: one country, one vote, among the credentialed delegations.

The rule (after the ICPO-INTERPOL General Regulations and the General Assembly's Rules of
Procedure: one vote per member country represented; a simple majority unless a text requires two
thirds "of the delegations present and casting an affirmative or negative vote"):

- the entitled voters are the delegations credentialed when voting stops (frozen on the poll);
  a ballot from any other country is not counted;
- quorum: the ballots cast, abstentions included, are more than half of the entitled voters;
- the majority is computed on Yes + No only (abstentions count for the quorum, not the majority):
  simple: Yes > No; two-thirds: 3 * Yes >= 2 * (Yes + No), with at least one Yes;
- without quorum, nothing is decided (the resolution stays in plenary for another poll).

A pure function of the entitled countries, the ballots' (country, choice) and the majority, so
that every bureau recomputes it from the published signed ballots (`ballots.verify_published`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

SIMPLE, TWO_THIRDS = "simple", "two_thirds"
ADOPTED, REJECTED, NO_QUORUM = "adopted", "rejected", "no_quorum"
CHOICES = ("yes", "no", "abstain")


@dataclass(frozen=True)
class Result:
    entitled: int
    cast: int
    yes: int
    no: int
    abstain: int
    quorum: bool
    majority: str
    outcome: str  # adopted, rejected or no_quorum

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def passes(yes: int, no: int, majority: str) -> bool:
    if majority == SIMPLE:
        return yes > no
    if majority == TWO_THIRDS:
        return yes > 0 and 3 * yes >= 2 * (yes + no)
    raise ValueError(f"{majority!r} is not a majority rule (simple or two_thirds)")


def count(entitled: Iterable[str], votes: Iterable[tuple[str, str]], majority: str) -> Result:
    """The result of a poll: `votes` as (country, choice); a country outside `entitled` is not
    counted, and a country twice is an error (the hub keeps one ballot per country)."""
    voters = set(entitled)
    seen: set[str] = set()
    tally = dict.fromkeys(CHOICES, 0)
    for country, choice in votes:
        if country in seen:
            raise ValueError(f"{country} voted twice")
        if choice not in tally:
            raise ValueError(f"{choice!r} is not a choice (yes, no, abstain)")
        seen.add(country)
        if country in voters:
            tally[choice] += 1
    cast = sum(tally.values())
    quorum = 2 * cast > len(voters)
    if not quorum:
        outcome = NO_QUORUM
    else:
        outcome = ADOPTED if passes(tally["yes"], tally["no"], majority) else REJECTED
    return Result(len(voters), cast, tally["yes"], tally["no"], tally["abstain"], quorum, majority, outcome)
