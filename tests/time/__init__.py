"""Time-zone and daylight-saving tests across the faces: manage page, API, emails, booking page."""
