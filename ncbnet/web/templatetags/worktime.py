"""Time left before a deadline, as a tired officer reads it: "2 h 15 min left", "overdue by 40 min"
(in red), counted on the node's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from ncbnet.base import clock

register = template.Library()


@register.filter
def duration(span: timedelta | None) -> str:
    """A span in days and hours, hours and minutes, or minutes (whole minutes, rounded down)."""
    if span is None:
        return "—"
    minutes = int(abs(span.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def time_left(due: datetime | None) -> SafeString | str:
    """The time left until `due`, or how long it is overdue (marked with the `error` class)."""
    if due is None:
        return "—"
    left = due - clock.now()
    if left < timedelta(0):
        return format_html(
            '<strong class="error overdue">{}</strong>', _("overdue by %(time)s") % {"time": duration(left)}
        )
    return format_html('<span class="time-left">{}</span>', _("%(time)s left") % {"time": duration(left)})
