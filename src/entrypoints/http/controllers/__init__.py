"""One Litestar controller per resource area of the HTTP API."""
