"""The desk's blueprint, ``admin``: the views of this package register their routes on it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, template_folder="../templates")
