"""Geography: geometry helpers (reprojection, repair, simplification), a name resolver that
takes its gazetteer as data, and offline maps.

``shapes`` and ``resolver`` are pure (no I/O); ``maps`` draws folium maps.
"""
