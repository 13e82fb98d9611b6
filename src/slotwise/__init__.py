"""Slotwise: appointment booking for service businesses."""
