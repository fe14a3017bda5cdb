"""Lambda functions: one package per capability, each handler thin."""
