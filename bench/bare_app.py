"""The raw baseline of bench/load.py: a bare FastAPI app with one sync endpoint (as Maxim's routes
are), served by uvicorn with the same number of workers as Maxim on the same machine.

    .venv/bin/python -m uvicorn bench.bare_app:create --factory --workers 2
"""

from __future__ import annotations

from fastapi import FastAPI


def create() -> FastAPI:
    app = FastAPI()

    @app.get("/")
    def hello() -> dict[str, str]:
        return {"status": "ok"}

    return app
