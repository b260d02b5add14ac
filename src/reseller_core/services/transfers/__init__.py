"""Exports and imports (spec 50): the use cases, their jobs and the archive safety rules.

- ``exports``: request, read, and the export job (archive streamed into storage).
- ``imports``: request (with the central-directory check), read, and the import job.
- ``archive_reader``: the safe, budgeted reading of an uploaded ZIP.
- ``jobs``: the job kinds and the handlers the queue calls.
- ``sweeper``: re-enqueues jobs whose worker died.
"""
