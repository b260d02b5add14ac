"""The adapters: one sub-package per port, one module per technology.

Installed as ``reseller_adapters`` (the folder keeps the layout's name; plain ``adapters`` is
another distribution's import name). Adapters import the core's ports and domain types and
never the entrypoints.
"""
