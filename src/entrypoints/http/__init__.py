"""The Litestar HTTP entrypoint: ``create_app(settings)`` builds the API server."""

from reseller_entrypoints.http.app import create_app

__all__ = ["create_app"]
