"""Conformance suites: one per port, written once, run by every implementation.

Subclass a suite in a test module, provide its abstract fixture (and hooks), and pytest
collects the inherited tests, e.g.::

    from reseller_core.testing.conformance.storage import ObjectStorageConformance

    class TestMyStorage(ObjectStorageConformance):
        @pytest.fixture
        def storage(self, tmp_path): return MyStorage(tmp_path)

        async def upload_via_signed_url(self, storage, signed, data): ...

The suites are async tests run by pytest-asyncio. Modules are imported one by one (this
package imports none of them), so a suite's test dependencies stay optional.
"""
