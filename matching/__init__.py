"""Pure algorithms on numpy/pandas/scipy/scikit-learn: coverage gaps, provider ranking,
partner complementarity. Nothing here imports Flask, SQLAlchemy or our other packages, and
nothing does I/O: use cases in ``referral/`` load the frames and call these functions."""
