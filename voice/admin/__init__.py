"""The staff side: teams, routing rules, cases, dashboards, audit log."""
