"""The JSON API's docs as one HTML page rendered from its OpenAPI schema: no JavaScript, nothing from another site.

FastAPI's /docs loads Swagger UI from a CDN, which leaves a blank page offline; one operation needs no explorer.
"""
from __future__ import annotations

import json
from html import escape

STYLE = """body { font: 15px/1.5 system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; }
code, pre { font: 13px ui-monospace, monospace; background: #f4f4f4; border-radius: 3px; }
pre { padding: 0.6em; overflow-x: auto; } table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; }
td, th { text-align: left; vertical-align: top; padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; }
h2 code { font-size: 1em; }"""


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict) -> str:
    """A readable type: string, list of string, CitationModel (linked), a | b."""
    if "$ref" in schema:
        name = escape(_ref_name(schema["$ref"]))
        return f'<a href="#{name}">{name}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return "list of " + _type(schema.get("items", {}))
    return escape(str(schema.get("type", "any")))


def _fields(schema: dict) -> str:
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{'' if name in required else ' (optional)'}</td>"
        f"<td>{_type(prop)}</td><td>{escape(prop.get('description', ''))}</td></tr>"
        for name, prop in schema.get("properties", {}).items())
    return f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"


def _body_schema(part: dict) -> dict:
    return part.get("content", {}).get("application/json", {}).get("schema", {})


def docs_html(openapi: dict, prefix: str = "", origin: str = "http://127.0.0.1:7860") -> str:
    """The page: each operation with its request fields, an example and its responses; then every schema.

    `prefix` is where the API is mounted (/api), `origin` the scheme and host the example request goes to.
    """
    info, schemas = openapi.get("info", {}), openapi.get("components", {}).get("schemas", {})
    out = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(info.get('title', 'API'))}"
           f" API</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<style>{STYLE}</style></head><body><h1>{escape(info.get('summary') or info.get('title', 'API'))}</h1>",
           f"<p>{escape(info.get('description', ''))}</p>",
           f"<p>The machine-readable schema is <a href=\"{escape(prefix)}/openapi.json\"><code>"
           f"{escape(prefix)}/openapi.json</code></a>.</p>"]
    for path, methods in openapi.get("paths", {}).items():
        for method, op in methods.items():
            out.append(f"<h2><code>{escape(method.upper())} {escape(prefix + path)}</code></h2>"
                       f"<p>{escape(op.get('description') or op.get('summary', ''))}</p>")
            request = _body_schema(op.get("requestBody", {}))
            body = schemas.get(_ref_name(request["$ref"]), {}) if "$ref" in request else request
            if body:
                out.append("<h3>Request body (JSON)</h3>" + _fields(body))
                for example in body.get("examples", [])[:1]:
                    out.append(f"<pre>curl -s {escape(origin + prefix + path)} -H 'Content-Type: "
                               f"application/json' \\\n     -d '{escape(json.dumps(example))}'</pre>")
            rows = "".join(f"<tr><td>{escape(code)}</td><td>{_type(_body_schema(r)) if _body_schema(r) else ''}</td>"
                           f"<td>{escape(r.get('description', ''))}</td></tr>"
                           for code, r in op.get("responses", {}).items())
            out.append(f"<h3>Responses</h3><table><tr><th>status</th><th>body</th><th>when</th></tr>{rows}</table>")
    out.append("<h2>Schemas</h2>")
    for name, schema in schemas.items():
        if "properties" in schema:
            out.append(f"<h3 id=\"{escape(name)}\">{escape(name)}</h3>{_fields(schema)}")
    out.append("</body></html>")
    return "\n".join(out)
