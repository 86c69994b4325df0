"""Query: spec -> plan -> SQL for the backend's dialect -> response."""
