"""Backoffice pages. Views parse input, call actions, selectors and loaders, and render."""
