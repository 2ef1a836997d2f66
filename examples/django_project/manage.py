#!/usr/bin/env python
"""A minimal Django REST Framework project guarded by keyconsole keys.

    KEYCONSOLE_DB=sqlite:////path/to/keys.db .venv/bin/python examples/django_project/manage.py runserver

Then:
    curl -H "Authorization: Bearer kc_..." localhost:8000/users
"""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "api.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
