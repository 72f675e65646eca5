"""The ideas domain (see ../shared/DESIGN.md)."""
