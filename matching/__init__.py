"""Pure algorithms on numpy/pandas/scipy/scikit-learn: no Flask, no SQLAlchemy, no I/O."""
