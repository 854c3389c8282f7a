"""Common controls, the checks that evidence them, and the evaluation engine."""
