from django.utils.functional import SimpleLazyObject

from connector.permissions import can_manage_connectors, can_view_connectors
from transactions import edit_queue


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "can_view_connectors": can_view_connectors(user),
        "can_manage_connectors": can_manage_connectors(user),
        # The nav's count of order edits waiting for a person: one COUNT, and only on pages
        # that show it to someone allowed to see the queue.
        "open_edit_reviews": SimpleLazyObject(edit_queue.open_count),
    }
