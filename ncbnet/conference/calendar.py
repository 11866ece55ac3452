"""The timetable as iCalendar (RFC 5545), written by the `icalendar` library: one event per session
block and break, each agenda item and its speakers in the session's description."""

from __future__ import annotations

from icalendar import Calendar, Event

from ncbnet.base import clock

from .models import Conference

PRODID = "-//ncbnet//Heads of NCB Conference//EN"


def timetable(conference: Conference) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", conference.title)
    stamp = clock.now()
    for s in conference.sessions.prefetch_related("items"):
        event = Event()
        event.add("uid", f"{s.pk}@ncbnet")
        event.add("dtstamp", stamp)
        event.add("dtstart", s.starts)
        event.add("dtend", s.ends)
        event.add("summary", s.title)
        where = ", ".join(part for part in (s.room, conference.venue) if part)
        if where:
            event.add("location", where)
        lines = []
        for item in s.items.all():
            speakers = f" ({', '.join(item.speakers)})" if item.speakers else ""
            lines.append(f"{item.number}. {item.title}{speakers}")
        if lines:
            event.add("description", "\n".join(lines))
        event.add("categories", [s.kind])
        cal.add_component(event)
    return bytes(cal.to_ical())
