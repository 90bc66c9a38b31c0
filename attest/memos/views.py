from __future__ import annotations

from flask import Blueprint

bp = Blueprint("memos", __name__, url_prefix="/memos")
