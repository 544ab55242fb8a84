"""Evaluation of retrieval methods: pure metrics, protocols (query/gallery splits) and the scoring run."""
