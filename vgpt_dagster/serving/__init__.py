"""Serving the model: intent, schema retrieval, generation, the SQL guard; ``vgpt ask`` and ``vgpt serve``."""
