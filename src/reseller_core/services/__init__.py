"""The use cases. Each takes its ports as constructor arguments and opens one unit of work
per operation; they return domain objects and raise :mod:`reseller_core.errors`."""
