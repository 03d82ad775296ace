"""The desk's pure pieces: the list's view as the URL spells it, quoted text folded, delivery states."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from chatcore.inbox import InboxFilter
from webui.desk.feed import deliveries, initials
from webui.desk.filters import ListView, view_from
from webui.desk.quotes import Segment, split_quotes


def test_a_view_round_trips_through_its_query_string() -> None:
    view = ListView(status="closed", assignee="me", tags=("billing", "vip"), unread=True, awaiting=True)
    assert view.query() == "?status=closed&assignee=me&tag=billing&tag=vip&unread=1&awaiting=1"
    assert view_from(QueryParams(view.query().lstrip("?"))) == view
    assert ListView().query() == ""


def test_the_view_becomes_the_read_models_filter() -> None:
    assert view_from(QueryParams("assignee=7&tag=VIP&tag=vip")).to_filter() == InboxFilter(
        status="open", assignee=7, tags=("vip",)
    )
    assert view_from(QueryParams("assignee=none")).to_filter().assignee == "none"


def test_unknown_values_fall_back_to_the_default_view() -> None:
    assert view_from(QueryParams("status=deleted&assignee=DROP TABLE&unread=yes&tag=")) == ListView()


def test_tag_links_add_and_remove_one_tag() -> None:
    view = ListView(tags=("billing",))
    assert view.with_tag("vip") == "?tag=billing&tag=vip"
    assert view.with_tag("billing") == "?tag=billing"
    assert view.without_tag("billing") == ""


def test_a_quote_with_its_attribution_is_folded_apart_from_the_answer() -> None:
    text = "Yes, Saturday works.\n\nOn Mon, Olga wrote:\n> When can we deliver?\n>\n> Olga\n\nThanks!"
    assert split_quotes(text) == [
        Segment("Yes, Saturday works.", quoted=False),
        Segment("On Mon, Olga wrote:\n> When can we deliver?\n>\n> Olga", quoted=True),
        Segment("Thanks!", quoted=False),
    ]


def test_russian_attribution_and_text_without_quotes() -> None:
    assert split_quotes("Спасибо!\nАнна пишет:\n> Где заказ?")[1] == Segment(
        "Анна пишет:\n> Где заказ?", True
    )
    assert split_quotes("a > b is not a quote") == [Segment("a > b is not a quote", quoted=False)]


def test_delivery_states_name_what_happened_to_each_email() -> None:
    found = deliveries(
        {
            "a@example.org": {"status": "sent", "error": ""},
            "b@example.org": {"status": "pending", "error": "451 try later"},
            "c@example.org": {"status": "failed", "error": "550 no such user"},
            "d@example.org": {"status": "pending", "error": ""},
            "junk": "not a mapping",
        }
    )
    assert [(d.recipient, d.state, d.error) for d in found] == [
        ("a@example.org", "sent", ""),
        ("b@example.org", "retrying", "451 try later"),
        ("c@example.org", "failed", "550 no such user"),
        ("d@example.org", "queued", ""),
    ]


def test_initials_for_the_avatar() -> None:
    assert initials("Olga Smirnova") == "OS"
    assert initials("maria@example.com") == "ME"
    assert initials("") == "?"
