"""The referral engine: provider search and ranking for a referral, cases, consent, lifecycle,
inbox/outbox, expiry, bundles, detail, notifications, personal-data crypto and access.

Use cases take a session and flush; the request or CLI command commits.
"""
