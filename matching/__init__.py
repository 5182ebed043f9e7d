"""Pure algorithms on numpy/pandas/scipy/scikit-learn: no Flask, no SQLAlchemy, no I/O.

Modules here import nothing of ours; loaders in ``data/`` feed them data frames.
"""
