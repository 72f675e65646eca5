"""Notifications and the mail outbox: how customers hear back."""
