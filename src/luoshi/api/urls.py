"""The Ninja API instance; each domain app keeps its endpoints in ``<app>/api.py``."""

from ninja import NinjaAPI

api = NinjaAPI(title="Luoshi API", version="1", urls_namespace="api")
