"""The surveys domain (see ../shared/DESIGN.md)."""
