"""Pure algorithms (numpy/pandas/scipy/scikit-learn only): no Flask, no SQLAlchemy, no I/O,
and nothing imported from the rest of Tasharuk."""
