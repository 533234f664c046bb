"""The profile records a document may be linked to (a diploma to its education, and so on).

A document keeps only the kind and id of its record. What records a person has is the profile's
business, and the profile sits above documents (it reads them for readiness and checks), so the
profile hands this package its answers at start-up through `provide()` instead of documents
importing it. Without a provider a document simply cannot be linked.
"""

from typing import Protocol

NOT_LINKED = ("", "Не связан")


class Provider(Protocol):
    """What the profile answers about a person's records."""

    def choices(self, db, user_id: int) -> list[tuple[str, str]]: ...

    def owns(self, db, user_id: int, kind: str, record_id: int) -> bool: ...


_provider: Provider | None = None


def provide(provider: Provider) -> None:
    """Called once by the app factory with the profile's answers."""
    global _provider
    _provider = provider


def choices(db, user_id: int) -> list[tuple[str, str]]:
    """The user's records a document can be linked to, as (value, label), «Не связан» first."""
    return [NOT_LINKED, *(_provider.choices(db, user_id) if _provider else [])]


def is_mine(db, user_id: int, kind: str, record_id: int) -> bool:
    """Whether the record named by a form is one of the user's own (form ids are never trusted)."""
    return bool(_provider) and _provider.owns(db, user_id, kind, record_id)
