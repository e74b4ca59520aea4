"""Tooling around the loyalty warehouse dbt project."""

__version__ = "0.1.0"
