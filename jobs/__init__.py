"""Ivica: jobs."""
