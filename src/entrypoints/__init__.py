"""Entry points: the composition root, the HTTP app, the worker, the embedding API, the CLI."""
