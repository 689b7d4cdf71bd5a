"""Trust and safety: suspensions, formal warnings and their notices (measures.py, notice.py)
and appeals (appeals.py). A suspension stops one thing, signing in; everything else the
store restricts is the store's to enforce."""
