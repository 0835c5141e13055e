#!/usr/bin/env python3
"""Check migrated AzurePostgreSql 2.0 shapes against the Data Factory REST model.

Usage:
    pip install azure-mgmt-datafactory          # 10.0.0 was used to build tests/rest_model.rs
    adfpg-migrate --fix --unsafe-fixes DIR
    python3 tests/rest_model/check.py DIR

Every AzurePostgreSql linked service at version 2.0 (a git-integration file or a resource of an ARM
template) is deserialised with the SDK's `LinkedServiceResource`. A `typeProperties` key the model does not
know is kept by the SDK only as raw data: it is reported unless it is one of EXPECTED_EXTRAS (properties the
connector page documents but the model lacks). Exit code 1 when anything unexpected is found.

tests/rest_model.rs holds the same property set for `cargo test` (no Python there).
"""
import json
import os
import sys

from azure.mgmt.datafactory.models import LinkedServiceResource

# documented on the connector page, absent from the REST model (the SDK keeps them as extra keys)
EXPECTED_EXTRAS = {"authenticationType", "schema", "pooling"}


def model_keys(model):
    return {f._rest_name for f in type(model)._attr_to_rest_field.values()}


def linked_services(doc):
    """(name, resource) of every AzurePostgreSql linked service in a parsed file."""
    if isinstance(doc.get("resources"), list):
        for r in doc["resources"]:
            if isinstance(r, dict) and str(r.get("type", "")).lower().endswith("/linkedservices"):
                yield r.get("name", "?"), {"name": "x", "properties": r.get("properties", {})}
    elif isinstance(doc.get("properties"), dict):
        yield doc.get("name", "?"), doc


def check_file(path):
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(doc, dict):
        return []
    problems = []
    for name, resource in linked_services(doc):
        props = resource["properties"]
        if props.get("type") != "AzurePostgreSql" or props.get("version") != "2.0":
            continue
        parsed = LinkedServiceResource(resource).properties
        if type(parsed).__name__ != "AzurePostgreSqlLinkedService":
            problems.append(f"{path}: {name}: read as {type(parsed).__name__}")
            continue
        extra_props = set(props) - model_keys(parsed)
        tp = parsed.type_properties
        extra_tp = set(tp.keys()) - model_keys(tp) - EXPECTED_EXTRAS if tp is not None else set()
        for k in sorted(extra_props | extra_tp):
            problems.append(f"{path}: {name}: `{k}` is not in the REST model")
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problems, checked = [], 0
    for d, _, files in os.walk(sys.argv[1]):
        for f in files:
            if f.endswith(".json"):
                checked += 1
                problems += check_file(os.path.join(d, f))
    for p in problems:
        print(p)
    print(f"{checked} files checked, {len(problems)} unexpected properties")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
