#!/usr/bin/env python3
"""validate-json.py SCHEMA FILE - check a JSON document against a JSON Schema.

Exits 0 when FILE is valid, 1 with the validation error on stderr when it is
not, 2 on usage or read errors. Relative "$ref"s (e.g. "defs.json#/...") are
resolved against the schema's own directory, so the upstream runtime-spec
schemas in ../shared/oci-schema and ours in schema/ both work. The draft is
taken from the schema's "$schema" (draft-04 and draft-07 are used here).
"""
import json
import os
import sys
import warnings

import jsonschema


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def validator_for(schema_path, schema):
    base = os.path.dirname(os.path.abspath(schema_path))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        # jsonschema >= 4.18: the "referencing" registry.
        from referencing import Registry, Resource
        from referencing.jsonschema import specification_with

        spec = specification_with(schema.get("$schema", cls.META_SCHEMA["$schema"]))

        def retrieve(uri):
            name = uri[len("file://"):] if uri.startswith("file://") else uri
            path = name if os.path.isabs(name) else os.path.join(base, name)
            return Resource.from_contents(load(path), default_specification=spec)

        root_uri = "file://" + os.path.abspath(schema_path)
        registry = Registry(retrieve=retrieve).with_resource(
            root_uri, Resource.from_contents(schema, default_specification=spec))
        # Resolve the schema's own relative refs against its file URI.
        schema = dict(schema)
        schema.setdefault("$id", root_uri)
        if not str(schema["$id"]).startswith("file://"):
            schema["$id"] = "file://" + os.path.join(base, schema["$id"])
        return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resolver = jsonschema.RefResolver(base_uri="file://" + base + "/", referrer=schema)
            return cls(schema, resolver=resolver, format_checker=cls.FORMAT_CHECKER)


def main(argv):
    if len(argv) != 3:
        print("usage: validate-json.py SCHEMA FILE", file=sys.stderr)
        return 2
    try:
        schema = load(argv[1])
        doc = load(argv[2])
    except (OSError, ValueError) as e:
        print(f"validate-json: {e}", file=sys.stderr)
        return 2
    error = jsonschema.exceptions.best_match(validator_for(argv[1], schema).iter_errors(doc))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        print(f"{argv[2]}: {where or '.'}: {error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
