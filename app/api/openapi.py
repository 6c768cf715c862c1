"""OpenAPI 3.1 description of the JSON API at /api/v1/openapi.json, generated on request from the
Flask routes under /api/v1 and the forms registry (app.forms: START_FORMS for POST /cases, TASK_FORMS
for POST /tasks/{id}/complete), so it cannot drift from what the API accepts. Bodies are described by
the forms' fields; answers are JSON objects, errors `{"error", "message", "fields"}`, files by type."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, jsonify
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, InputRequired, Length

from app import forms
from app.vocabulary import STARTABLE_CASE_TYPES

bp = Blueprint("openapi", __name__)

_ERROR = {"type": "object", "required": ["error", "message"],
          "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}
_FILES = {".csv": "text/csv", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          ".pdf": "application/pdf", ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
          ".html": "text/html"}
CREATED = ("/api/v1/cases", "/api/v1/goals")  # POST answers 201 with the new resource
_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _field_schema(field: UnboundField) -> dict:
    cls = field.field_class
    choices = field.kwargs.get("choices")
    if issubclass(cls, BooleanField):
        return {"type": "boolean"}
    if issubclass(cls, DateField):
        return {"type": "string", "format": "date"}
    if issubclass(cls, IntegerField):
        return {"type": "integer"}
    if issubclass(cls, SelectMultipleField):
        item = {"enum": [str(k) for k in choices]} if isinstance(choices, dict) and choices else {"type": "string"}
        return {"type": "array", "items": item}
    if issubclass(cls, (SelectField, RadioField)) and isinstance(choices, dict) and choices:
        values = [str(k) for k in choices if str(k) != ""]
        if set(values) == {"true", "false"}:
            return {"type": "boolean"}
        return {"enum": values}
    schema: dict = {"type": "string"}
    for validator in field.kwargs.get("validators") or []:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            schema["maxLength"] = validator.max
    return schema


def form_schema(form_cls, extra: dict | None = None) -> dict:
    properties, required = dict(extra or {}), []
    for name in dir(form_cls):
        field = getattr(form_cls, name, None)
        if not isinstance(field, UnboundField) or name in ("csrf_token", "submit"):
            continue
        properties[name] = _field_schema(field)
        if any(isinstance(v, (InputRequired, DataRequired)) for v in field.kwargs.get("validators") or []):
            required.append(name)
    return {"type": "object", "properties": properties, "required": sorted(required)}


def _request_body(rule: str, method: str) -> dict | None:
    if method not in ("POST", "PUT", "PATCH"):
        return None
    if rule == "/api/v1/cases" and method == "POST":
        variants = [form_schema(forms.START_FORMS[spec.start_form],
                                {"type": {"const": key}})
                    | {"required": sorted({"type", *form_schema(forms.START_FORMS[spec.start_form])["required"]})}
                    for key, spec in STARTABLE_CASE_TYPES.items() if spec.start_form in forms.START_FORMS]
        schema: dict = {"oneOf": variants}
    elif rule.endswith("/complete"):
        schema = {"anyOf": [form_schema(cls) for _, cls in sorted(forms.TASK_FORMS.items())]}
    else:
        schema = {"type": "object"}
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def _responses(rule: str, method: str) -> dict:
    ok = "201" if (rule in CREATED and method == "POST") else "200"
    suffix = next((s for s in _FILES if rule.endswith(s) or rule.endswith("<fmt>")), None)
    if suffix and rule.endswith("<fmt>"):
        content = {mime: {"schema": {"type": "string"}} for mime in _FILES.values()}
    elif suffix:
        content = {_FILES[suffix]: {"schema": {"type": "string"}}}
    else:
        content = {"application/json": {"schema": {"type": "object"}}}
    return {ok: {"description": "Svar", "content": content},
            "default": {"description": "Fel (svensk text)", "content": {"application/json": {"schema": _ERROR}}}}


def build_spec() -> dict:
    paths: dict = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi.openapi":
            continue
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        parameters = [{"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647} if conv == "int" else
                       {"type": "string"}} for conv, name in _PARAM.findall(rule.rule)]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = {"operationId": f"{rule.endpoint}.{method.lower()}", "parameters": parameters,
                         "responses": _responses(rule.rule, method), "security": [{"bearer": []}]}
            body = _request_body(rule.rule, method)
            if body:
                operation["requestBody"] = body
            paths.setdefault(path, {})[method.lower()] = operation
    return {"openapi": "3.1.0",
            "info": {"title": "Kvalitetsflöde JSON API", "version": "1"},
            "paths": dict(sorted(paths.items())),
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}}}


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_spec())
