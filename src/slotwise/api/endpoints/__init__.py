"""API v1 endpoints, one module per area; api.py mounts them."""
