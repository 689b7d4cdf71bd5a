"""The words of the identity check's and account recovery's messages (flows/recovery/).

Each names the site's configured origin only. Texts stay under 160 characters."""

from __future__ import annotations

from entryway.core.sites import Site

__all__ = ["Site"]

# --- To the new contact, during the identity check (flows/recovery/identity_check.py) ---


# --- end of the identity check's messages ---


# --- The pending recovery: old contacts' notices, answers, review (flows/recovery/pending.py) ---


# --- end of the pending recovery's messages ---


# --- Finishing a recovery (flows/recovery/finish.py) ---


# --- end of the finishing messages ---
