"""Fault tests: the database restarted or crashed, web processes killed, several machines."""
