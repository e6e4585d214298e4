"""The end-to-end lifecycle demo (``modelyard demo``) and its generated churn data set."""

from modelyard.demo.data import make_churn

__all__ = ["make_churn"]
