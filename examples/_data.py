"""Local stand-in for the Databricks table ``customer_churn`` used by the course's snippets."""

from modelyard.demo.data import make_churn


def read_customer_churn():
    """Equivalent of ``spark.read.table("customer_churn").toPandas()``."""
    return make_churn(2000, seed=42)


def display(obj):
    """Equivalent of the Databricks notebook ``display``."""
    print(obj.to_string() if hasattr(obj, "to_string") else obj)
