"""django-q2 tasks: thin. They take an id, re-read the row and call the verb."""

from . import actions


def post_transaction(txn_id: int) -> str:
    return actions.run_post(txn_id)


def sweep_stuck_posts() -> int:
    """For a periodic schedule (every few minutes): re-queue posts a killed worker left."""
    return actions.sweep_stuck_posts()
