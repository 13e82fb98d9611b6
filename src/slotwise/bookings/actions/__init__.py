"""Every change to a booking goes through one of these actions (one module each).

Each is keyword-only, runs in one transaction, locks what it changes, re-checks its rule under
the lock, writes its history row and emits one ``events.BookingChanged`` (the subscribers in
``notifications`` queue the outbox rows in the same transaction), and raises a DomainError
that changes nothing.

Each public action opens the one durable transaction (``write_transaction``) around its
``*_in_transaction`` twin; a use case that makes several changes at once opens
``write_transaction`` itself and calls the twins inside it, so all commit or none does.
"""

from slotwise.bookings.actions._common import write_transaction
from slotwise.bookings.actions.cancel import booking_cancel, booking_cancel_in_transaction
from slotwise.bookings.actions.clone import booking_clone, clone_prefill
from slotwise.bookings.actions.complete import (
    booking_close_undo,
    booking_close_undo_in_transaction,
    booking_complete,
    booking_complete_in_transaction,
    booking_mark_no_show,
    booking_mark_no_show_in_transaction,
)
from slotwise.bookings.actions.create import (
    CustomerDetails,
    WebBooking,
    booking_create_custom,
    booking_create_custom_in_transaction,
    booking_create_web,
    booking_create_web_checked_in_transaction,
    booking_create_web_in_transaction,
    booking_web_checked,
)
from slotwise.bookings.actions.language import booking_language_set
from slotwise.bookings.actions.moderate import (
    rating_hide,
    rating_hide_in_transaction,
    rating_reply,
    rating_reply_edit,
    rating_reply_edit_in_transaction,
    rating_reply_in_transaction,
    rating_unhide,
    rating_unhide_in_transaction,
    reviews_settings_update,
)
from slotwise.bookings.actions.notes import (
    booking_notes_edit,
    booking_notes_edit_in_transaction,
)
from slotwise.bookings.actions.payments import payment_record, payment_record_in_transaction
from slotwise.bookings.actions.rate import booking_rate, booking_rate_in_transaction
from slotwise.bookings.actions.reschedule import (
    booking_reschedule,
    booking_reschedule_in_transaction,
)
from slotwise.bookings.tokens import token_issue, token_verify

__all__ = [
    "CustomerDetails",
    "WebBooking",
    "booking_cancel",
    "booking_cancel_in_transaction",
    "booking_clone",
    "booking_close_undo",
    "booking_close_undo_in_transaction",
    "booking_complete",
    "booking_complete_in_transaction",
    "booking_create_custom",
    "booking_create_custom_in_transaction",
    "booking_create_web",
    "booking_create_web_checked_in_transaction",
    "booking_create_web_in_transaction",
    "booking_language_set",
    "booking_mark_no_show",
    "booking_mark_no_show_in_transaction",
    "booking_notes_edit",
    "booking_notes_edit_in_transaction",
    "booking_rate",
    "booking_rate_in_transaction",
    "booking_reschedule",
    "booking_reschedule_in_transaction",
    "booking_web_checked",
    "clone_prefill",
    "payment_record",
    "payment_record_in_transaction",
    "rating_hide",
    "rating_hide_in_transaction",
    "rating_reply",
    "rating_reply_edit",
    "rating_reply_edit_in_transaction",
    "rating_reply_in_transaction",
    "rating_unhide",
    "rating_unhide_in_transaction",
    "reviews_settings_update",
    "token_issue",
    "token_verify",
    "write_transaction",
]
