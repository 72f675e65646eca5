"""The markets domain (see ../shared/DESIGN.md)."""
