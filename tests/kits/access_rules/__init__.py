"""Expected access per endpoint, one module per feature: ``RULES = {endpoint: {"roles": {...}}}``.

"public" means everyone including anonymous visitors; otherwise the set of roles allowed.
The access-matrix test walks every route of the app and checks it against these tables.
"""
