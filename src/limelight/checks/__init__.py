"""Website health checks: the check resource, one probe, and the scheduler inside the server."""
