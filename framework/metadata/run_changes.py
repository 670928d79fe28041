"""A change users make to a run after the fact (`MetadataStore.update_run`), checked once.

Every backend applies it the same way — tags added and removed (`checks.retagged`),
notes set or cleared, metadata merged key by key, the summary replaced — so the rules
live here, not in three copies.
"""

from __future__ import annotations

from typing import Any

import attrs

from framework.metadata import checks


@attrs.frozen
class RunChange:
    """A checked change of a run (`MetadataStore.update_run`): ``notes`` applies only when
    ``set_notes`` (None clears them); ``metadata`` merges key by key; ``summary`` replaces."""

    add_tags: list[str]
    remove_tags: list[str]
    set_notes: bool = False
    notes: str | None = None
    metadata: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None

    @classmethod
    def checked(cls, add_tags: Any, remove_tags: Any, notes: Any, metadata: Any, summary: Any) -> RunChange:
        """Every value checked before anything is read: ``ValueError`` names the bad one."""
        add, remove = checks.check_tags(add_tags, "add_tags"), checks.check_tags(remove_tags, "remove_tags")
        new_notes = checks.check_notes(notes) if notes is not None else None
        new_metadata = checks.check_metadata(metadata) if metadata is not None else None
        _unused, new_summary = checks.closing_extras(None, summary)
        return cls(add, remove, notes is not None, new_notes, new_metadata, new_summary)

    def fields(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The run document's fields after the change (tags always; the others if changed)."""
        changed: dict[str, Any] = {"tags": checks.retagged(doc.get("tags") or [], self.add_tags, self.remove_tags)}
        if self.set_notes:
            changed["notes"] = self.notes
        if self.metadata:
            changed["metadata"] = checks.merge_metadata(doc.get("metadata") or {}, self.metadata)
        if self.summary is not None:
            changed["summary"] = self.summary
        return changed

    def apply(self, doc: dict[str, Any]) -> None:
        doc.update(self.fields(doc))
