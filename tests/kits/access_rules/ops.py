"""Operations endpoints: open to all at the route; /metrics checks its network or token inside."""

RULES = {
    "ops.healthz": {"roles": {"public"}},
    "ops.readyz": {"roles": {"public"}},
    "ops.metrics": {"roles": {"public"}},
}
