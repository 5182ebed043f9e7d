"""Text matching, pure: Arabic and Latin normalisation for search and name matching.

Imports nothing of ours, so every room (geography, importers, search) can use it.
"""
