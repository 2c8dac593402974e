"""The Block Storage Console: Django project package and shared core."""
