"""A minimal Django project around django-allauth, for bench/peers.py (not part of Entryway)."""
