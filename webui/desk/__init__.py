"""The operator desk: three panes (the dialog list, the dialog, the person) as server-rendered pages.

Every handler calls the chatcore functions the API calls; the pages add only forms and redirects.
"""

from __future__ import annotations

from starlette.routing import Route

from webui.desk import actions, dialog, listing, live, person

DIALOG = "/inbox/{conversation_id:int}"
# Forms that answer a wrong CSRF token themselves, beside the form, keeping what was typed
# (webui.middleware leaves them to it); the desk's other forms are refused by the middleware.
SELF_CHECKED = (
    actions.reply_submit,
    person.contact_email_submit,
    person.dialog_contact_submit,
    person.contact_page_submit,
)


def routes() -> list[Route]:
    return [
        Route("/inbox", listing.inbox_page, methods=["GET"]),
        Route("/inbox/rows", listing.rows_fragment, methods=["GET"]),
        Route("/inbox/live/rows", live.rows_json, methods=["GET"]),
        Route(DIALOG, dialog.dialog_page, methods=["GET"]),
        Route(DIALOG + "/live", dialog.dialog_fragment, methods=["GET"]),
        Route(DIALOG + "/reply", actions.reply_submit, methods=["POST"]),
        Route(DIALOG + "/close", actions.close_submit, methods=["POST"]),
        Route(DIALOG + "/reopen", actions.reopen_submit, methods=["POST"]),
        Route(DIALOG + "/tags", actions.tag_submit, methods=["POST"]),
        Route(DIALOG + "/untag", actions.untag_submit, methods=["POST"]),
        Route(DIALOG + "/assignee", actions.assign_submit, methods=["POST"]),
        Route(DIALOG + "/contact", person.dialog_contact_submit, methods=["POST"]),
        Route(DIALOG + "/contact-email", person.contact_email_submit, methods=["POST"]),
        Route("/inbox/contacts/{contact_id:int}", person.contact_page, methods=["GET"]),
        Route("/inbox/contacts/{contact_id:int}", person.contact_page_submit, methods=["POST"]),
    ]
