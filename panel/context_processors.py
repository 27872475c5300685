from connector.permissions import can_manage_connectors, can_view_connectors


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_view_connectors": can_view_connectors(user),
        "can_manage_connectors": can_manage_connectors(user),
    }
