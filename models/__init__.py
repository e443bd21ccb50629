"""The QKeras model zoo, data sets and training."""
