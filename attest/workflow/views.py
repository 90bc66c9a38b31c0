from __future__ import annotations

from flask import Blueprint

bp = Blueprint("workflow", __name__, url_prefix="/memos")
