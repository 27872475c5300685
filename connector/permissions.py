"""Who may do what with connectors: one place, used by views, the API and templates."""

VIEW_CONNECTORS = "connector.view_connector"
MANAGE_CONNECTORS = "connector.change_connector"
ADD_CONNECTORS = "connector.add_connector"
RUN_FLOWS = "flows.run_flow"
VIEW_FLOW_RUNS = "flows.view_flowrun"


def can_view_connectors(user) -> bool:
    return user.is_authenticated and user.has_perm(VIEW_CONNECTORS)


def can_manage_connectors(user) -> bool:
    """Change settings and credentials, see credential status, run flows."""
    return user.is_authenticated and user.has_perm(MANAGE_CONNECTORS)


def can_add_connectors(user) -> bool:
    return user.is_authenticated and user.has_perm(ADD_CONNECTORS)


def can_run_flows(user) -> bool:
    return user.is_authenticated and user.has_perm(RUN_FLOWS)
