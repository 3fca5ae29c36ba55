"""Serving the model: reading the question, schema retrieval, generation, the SQL guard; ``vgpt ask`` and ``vgpt serve``."""
