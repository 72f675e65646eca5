"""Users, roles, login, registration and API tokens."""
