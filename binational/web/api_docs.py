"""The API's interactive documentation, served from the node itself: Swagger UI at /api/v1/docs and
ReDoc at /api/v1/redoc, both reading /api/v1/openapi.json. Their bundles are the npm packages
`swagger-ui-dist` and `redoc`, copied into static/vendor by `python -m binational.web.assets`, so the
pages work on a node with no internet (FastAPI's defaults load them from a CDN).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

#: the API's prefix (binational.app.API, which this layer does not import)
API = "/api/v1"
SWAGGER_PATH = f"{API}/docs"
REDOC_PATH = f"{API}/redoc"
OPENAPI_PATH = f"{API}/openapi.json"
VENDOR = "/static/vendor"
FAVICON = "/static/favicon.svg"
ICON_FILE = Path(__file__).resolve().parent / "static" / "favicon.svg"

router = APIRouter(include_in_schema=False)


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get(SWAGGER_PATH, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the node's OpenAPI document, from the node's own copy of its bundle."""
    root = _root(request)
    return get_swagger_ui_html(
        openapi_url=root + OPENAPI_PATH, title=f"{request.app.title} API",
        swagger_js_url=f"{root}{VENDOR}/swagger-ui-bundle.js", swagger_css_url=f"{root}{VENDOR}/swagger-ui.css",
        swagger_favicon_url=root + FAVICON,
        # no badge fetched from the online validator: the page makes no request outside the node
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(REDOC_PATH, response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the node's OpenAPI document, from the node's own copy of its bundle (no web fonts)."""
    root = _root(request)
    return get_redoc_html(openapi_url=root + OPENAPI_PATH, title=f"{request.app.title} API",
                          redoc_js_url=f"{root}{VENDOR}/redoc.standalone.js", redoc_favicon_url=root + FAVICON,
                          with_google_fonts=False)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The node's icon where a browser looks for it without being told (the pages link the SVG)."""
    return FileResponse(ICON_FILE, media_type="image/svg+xml")
