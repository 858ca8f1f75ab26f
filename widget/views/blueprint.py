"""The visitor's blueprint, ``pledge``: the views of this package register their routes on it."""
from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("pledge", __name__, template_folder="../templates")
