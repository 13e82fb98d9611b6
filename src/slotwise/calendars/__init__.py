"""A provider's own calendars: CalDAV and ICS connections, and the busy times read from them."""
