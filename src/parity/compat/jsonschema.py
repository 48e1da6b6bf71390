"""JSON Schema compatibility, following Confluent Schema Registry's SchemaDiff so that what we
accept the registry accepts. Pure.

`changes(old, new)` lists Confluent change types; a change from old to new is BACKWARD compatible
under a policy iff every change type is in that policy's compatible set (STRICT by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

STRICT_COMPATIBLE = frozenset(
    [
        "ADDITIONAL_ITEMS_ADDED",
        "ADDITIONAL_ITEMS_EXTENDED",
        "ADDITIONAL_PROPERTIES_ADDED",
        "ADDITIONAL_PROPERTIES_EXTENDED",
        "COMBINED_TYPE_EXTENDED",
        "DEFAULT_CHANGED",
        "DEPENDENCY_ARRAY_NARROWED",
        "DEPENDENCY_ARRAY_REMOVED",
        "DEPENDENCY_SCHEMA_REMOVED",
        "DESCRIPTION_CHANGED",
        "ENUM_ARRAY_EXTENDED",
        "EXCLUSIVE_MAXIMUM_INCREASED",
        "EXCLUSIVE_MAXIMUM_REMOVED",
        "EXCLUSIVE_MINIMUM_DECREASED",
        "EXCLUSIVE_MINIMUM_REMOVED",
        "ID_CHANGED",
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL",
        "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "MAXIMUM_INCREASED",
        "MAXIMUM_REMOVED",
        "MAX_CONTAINS_INCREASED",
        "MAX_CONTAINS_REMOVED",
        "MAX_ITEMS_INCREASED",
        "MAX_ITEMS_REMOVED",
        "MAX_LENGTH_INCREASED",
        "MAX_LENGTH_REMOVED",
        "MAX_PROPERTIES_INCREASED",
        "MAX_PROPERTIES_REMOVED",
        "MINIMUM_DECREASED",
        "MINIMUM_REMOVED",
        "MIN_CONTAINS_DECREASED",
        "MIN_CONTAINS_REMOVED",
        "MIN_ITEMS_DECREASED",
        "MIN_ITEMS_REMOVED",
        "MIN_LENGTH_DECREASED",
        "MIN_LENGTH_REMOVED",
        "MIN_PROPERTIES_DECREASED",
        "MIN_PROPERTIES_REMOVED",
        "MULTIPLE_OF_REDUCED",
        "MULTIPLE_OF_REMOVED",
        "NOT_TYPE_NARROWED",
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "PATTERN_REMOVED",
        "PRODUCT_TYPE_NARROWED",
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL",
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "REQUIRED_ATTRIBUTE_REMOVED",
        "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "SCHEMA_REMOVED",
        "SUM_TYPE_EXTENDED",
        "TITLE_CHANGED",
        "TYPE_EXTENDED",
        "UNEVALUATED_ITEMS_ADDED",
        "UNEVALUATED_ITEMS_EXTENDED",
        "UNEVALUATED_PROPERTIES_ADDED",
        "UNEVALUATED_PROPERTIES_EXTENDED",
        "UNIQUE_ITEMS_REMOVED",
    ]
)
LENIENT_COMPATIBLE = STRICT_COMPATIBLE | frozenset(
    [
        "ADDITIONAL_PROPERTIES_NARROWED",
        "ADDITIONAL_PROPERTIES_REMOVED",
        "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL",
        "UNEVALUATED_PROPERTIES_NARROWED",
        "UNEVALUATED_PROPERTIES_REMOVED",
    ]
)

META = {
    "$schema",
    "$id",
    "id",
    "title",
    "description",
    "default",
    "examples",
    "$comment",
    "definitions",
    "$defs",
    "readOnly",
    "writeOnly",
    "deprecated",
}
OBJECT_KEYS = {
    "properties",
    "additionalProperties",
    "required",
    "patternProperties",
    "minProperties",
    "maxProperties",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "propertyNames",
    "unevaluatedProperties",
}
ARRAY_KEYS = {
    "items",
    "additionalItems",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
}
STRING_KEYS = {"minLength", "maxLength", "pattern", "format"}
NUMBER_KEYS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
COMBINERS = ("allOf", "anyOf", "oneOf")
PROPS = ("additionalProperties", "unevaluatedProperties")


class _Context:
    def __init__(self, old_root: Any, new_root: Any) -> None:
        self.roots = (old_root, new_root)
        self.found: list[str] = []
        self.seen: set[tuple[int, int]] = set()

    def sub(self) -> _Context:
        child = _Context(*self.roots)
        child.seen = set(self.seen)
        return child

    def compatible(self, allowed: frozenset[str] = STRICT_COMPATIBLE) -> bool:
        return all(change in allowed for change in self.found)


def _resolve(schema: Any, root: Any) -> Any:
    for _ in range(32):  # a chain of references, never a cycle of them
        if not (
            isinstance(schema, dict)
            and isinstance(schema.get("$ref"), str)
            and schema["$ref"].startswith("#")
        ):
            return schema
        target: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            if part:
                target = (
                    target.get(part.replace("~1", "/").replace("~0", "~"))
                    if isinstance(target, dict)
                    else None
                )
        schema = target if target is not None else {}
    return schema


def _kind(schema: Any) -> str:
    if schema is True or schema is None:
        return "empty"
    if schema is False:
        return "false"
    if not isinstance(schema, dict):
        return "empty"
    keys = set(schema) - META
    if any(c in schema for c in COMBINERS) or isinstance(schema.get("type"), list):
        return "combined"
    if "enum" in schema or "const" in schema:
        # With a type or other keywords beside it, everit reads allOf[that schema, the enum].
        return "combined" if keys - {"enum", "const"} else "enum"
    if "not" in schema:
        return "not"
    declared = schema.get("type")
    if isinstance(declared, str):
        return "number" if declared == "integer" else declared
    for kind, words in (
        ("object", OBJECT_KEYS),
        ("array", ARRAY_KEYS),
        ("string", STRING_KEYS),
        ("number", NUMBER_KEYS),
    ):
        if keys & words:
            return kind
    return "empty"


def _combined(schema: dict[str, Any]) -> tuple[str, list[Any]]:
    for criterion in COMBINERS:
        if criterion in schema:
            return criterion, list(schema[criterion])
    if isinstance(schema.get("type"), list):
        rest = {k: v for k, v in schema.items() if k != "type"}
        return "anyOf", [{**rest, "type": t} for t in schema["type"]]
    values = {k: schema[k] for k in ("enum", "const") if k in schema}
    rest = {k: v for k, v in schema.items() if k not in values and k not in META}
    return "allOf", [rest, values]


def _bound(ctx: _Context, old: dict[str, Any], new: dict[str, Any], key: str, name: str, wider: str) -> None:
    """ADDED / REMOVED / INCREASED / DECREASED for a numeric keyword; `wider` says which way relaxes."""
    a, b = old.get(key), new.get(key)
    if a == b or isinstance(a, bool) or isinstance(b, bool):
        return
    if a is None:
        ctx.found.append(f"{name}_ADDED")
    elif b is None:
        ctx.found.append(f"{name}_REMOVED")
    else:
        ctx.found.append(f"{name}_INCREASED" if b > a else f"{name}_DECREASED")


def compare(ctx: _Context, old: Any, new: Any) -> None:
    if old is None and new is None:
        return
    if old is None:
        ctx.found.append("SCHEMA_ADDED")
        return
    if new is None:
        ctx.found.append("SCHEMA_REMOVED")
        return
    old, new = _resolve(old, ctx.roots[0]), _resolve(new, ctx.roots[1])
    key = (id(old), id(new))
    if key in ctx.seen:
        return
    ctx.seen.add(key)
    ko, kn = _kind(old), _kind(new)
    if kn == "empty" or ko == "false":
        return  # everything is valid against the new schema / nothing was valid before
    if ko != "combined" and kn == "combined":
        criterion, subs = _combined(new)
        for sub in subs:
            trial = ctx.sub()
            compare(trial, old, sub)
            if trial.compatible():
                ctx.found += trial.found
                ctx.found.append(
                    "PRODUCT_TYPE_EXTENDED" if criterion == "allOf" and len(subs) > 1 else "SUM_TYPE_EXTENDED"
                )
                return
    if ko == "combined" and kn != "combined":
        criterion, subs = _combined(old)
        if len(_unique(subs)) == 1:  # oneOf[X], anyOf[X], allOf[X] and ["X"] mean X
            compare(ctx, subs[0], new)
            return
        for sub in subs:
            trial = ctx.sub()
            compare(trial, sub, new)
            if trial.compatible():
                ctx.found += trial.found
                ctx.found.append("PRODUCT_TYPE_NARROWED" if criterion == "allOf" else "SUM_TYPE_NARROWED")
                return
    if ko != kn:
        ctx.found.append("TYPE_CHANGED")
        return
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return  # both are the same boolean schema
    for field, change in (
        ("$id", "ID"),
        ("id", "ID"),
        ("title", "TITLE"),
        ("description", "DESCRIPTION"),
        ("default", "DEFAULT"),
    ):
        if old.get(field) != new.get(field):
            ctx.found.append(f"{change}_CHANGED")
    diff = KIND_DIFFS.get(ko)
    if diff is not None:
        diff(ctx, old, new)


def _string(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    _bound(ctx, old, new, "maxLength", "MAX_LENGTH", "up")
    _bound(ctx, old, new, "minLength", "MIN_LENGTH", "down")
    a, b = old.get("pattern"), new.get("pattern")
    if a != b:
        ctx.found.append(
            "PATTERN_ADDED" if a is None else "PATTERN_REMOVED" if b is None else "PATTERN_CHANGED"
        )


def _number(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    _bound(ctx, old, new, "maximum", "MAXIMUM", "up")
    _bound(ctx, old, new, "minimum", "MINIMUM", "down")
    _bound(ctx, old, new, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM", "up")
    _bound(ctx, old, new, "exclusiveMinimum", "EXCLUSIVE_MINIMUM", "down")
    a, b = old.get("multipleOf"), new.get("multipleOf")
    if a != b:
        if a is None:
            ctx.found.append("MULTIPLE_OF_ADDED")
        elif b is None:
            ctx.found.append("MULTIPLE_OF_REMOVED")
        elif b % a == 0:
            ctx.found.append("MULTIPLE_OF_EXPANDED")
        elif a % b == 0:
            ctx.found.append("MULTIPLE_OF_REDUCED")
        else:
            ctx.found.append("MULTIPLE_OF_CHANGED")
    integer_old, integer_new = old.get("type") == "integer", new.get("type") == "integer"
    if integer_old and not integer_new:
        ctx.found.append("TYPE_EXTENDED")
    elif integer_new and not integer_old:
        ctx.found.append("TYPE_NARROWED")


def _values(schema: dict[str, Any]) -> list[Any]:
    return list(schema["enum"]) if "enum" in schema else [schema["const"]]


def _enum(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    a, b = _values(old), _values(new)
    if a == b:
        return
    if all(v in b for v in a):
        ctx.found.append("ENUM_ARRAY_EXTENDED")
    elif all(v in a for v in b):
        ctx.found.append("ENUM_ARRAY_NARROWED")
    else:
        ctx.found.append("ENUM_ARRAY_CHANGED")


def _not(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    trial = ctx.sub()
    compare(trial, old["not"], new["not"])
    if trial.found:
        ctx.found.append("NOT_TYPE_EXTENDED" if trial.compatible() else "NOT_TYPE_NARROWED")


def _matching(pairs: dict[int, list[int]], size: int) -> int:
    """Maximum bipartite matching (Kuhn) of old subschemas to compatible new ones."""
    owner: dict[int, int] = {}

    def grab(i: int, seen: set[int]) -> bool:
        for j in pairs.get(i, []):
            if j not in seen:
                seen.add(j)
                if j not in owner or grab(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(1 for i in range(size) if grab(i, set()))


def _combined_diff(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    co, so = _combined(old)
    cn, sn = _combined(new)
    so, sn = _unique(so), _unique(sn)
    if co != cn:
        # A one-schema combination means the same under any criterion; anyOf asks least.
        if cn != "anyOf" and len(so) > 1 and len(sn) > 1:
            ctx.found.append("COMBINED_TYPE_CHANGED")
            return
        ctx.found.append("COMBINED_TYPE_EXTENDED")
    if len(so) < len(sn):
        ctx.found.append("PRODUCT_TYPE_EXTENDED" if cn == "allOf" else "SUM_TYPE_EXTENDED")
    elif len(so) > len(sn):
        ctx.found.append("PRODUCT_TYPE_NARROWED" if co == "allOf" else "SUM_TYPE_NARROWED")
    pairs: dict[int, list[int]] = {}
    for i, a in enumerate(so):
        for j, b in enumerate(sn):
            trial = ctx.sub()
            compare(trial, a, b)
            if trial.compatible():
                pairs.setdefault(i, []).append(j)
    if _matching(pairs, len(so)) < min(len(so), len(sn)):
        ctx.found.append("COMBINED_TYPE_SUBSCHEMAS_CHANGED")


def _unique(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def _extra(schema: dict[str, Any], keys: tuple[str, str]) -> Any:
    """additionalProperties, or 2020-12's unevaluatedProperties when that is the one given."""
    return schema[keys[0]] if keys[0] in schema else schema.get(keys[1], True)


def _open(schema: dict[str, Any]) -> bool:
    return not schema.get("patternProperties") and _extra(schema, PROPS) in (True, {})


def _partial(schema: dict[str, Any], name: str) -> Any:
    import re

    for pattern, sub in (schema.get("patternProperties") or {}).items():
        if re.search(pattern, name):
            return sub
    extra = _extra(schema, PROPS)
    return extra if isinstance(extra, dict) and extra else None


def _object(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    _bound(ctx, old, new, "maxProperties", "MAX_PROPERTIES", "up")
    _bound(ctx, old, new, "minProperties", "MIN_PROPERTIES", "down")
    for key, name in (
        ("additionalProperties", "ADDITIONAL_PROPERTIES"),
        ("unevaluatedProperties", "UNEVALUATED_PROPERTIES"),
    ):
        _extra_diff(ctx, old.get(key, True), new.get(key, True), name)
    _dependencies(
        ctx,
        {
            **(old.get("dependencies") or {}),
            **(old.get("dependentRequired") or {}),
            **(old.get("dependentSchemas") or {}),
        },
        {
            **(new.get("dependencies") or {}),
            **(new.get("dependentRequired") or {}),
            **(new.get("dependentSchemas") or {}),
        },
    )
    props_old, props_new = old.get("properties") or {}, new.get("properties") or {}
    req_old, req_new = set(old.get("required") or []), set(new.get("required") or [])
    ctx.found += ["REQUIRED_ATTRIBUTE_REMOVED"] * len(req_old - req_new)
    for name in sorted(req_new - req_old):
        if name in props_old:
            has_default = isinstance(props_new.get(name), dict) and "default" in props_new[name]
            ctx.found.append(
                "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED" if has_default else "REQUIRED_ATTRIBUTE_ADDED"
            )
    for name in sorted(set(props_old) | set(props_new)):
        a, b = props_old.get(name), props_new.get(name)
        if b is None:
            ctx.found.append(_removed(ctx, new, name, a))
        elif a is None:
            ctx.found += _added(ctx, old, name, b, name in req_new)
        else:
            compare(ctx, a, b)


def _extra_diff(ctx: _Context, ao: Any, an: Any, name: str) -> None:
    """additional/unevaluated properties or items: permitted or not, and the schema they must meet."""
    permits_old, permits_new = ao is not False, an is not False
    if permits_old != permits_new:
        ctx.found.append(f"{name}_REMOVED" if permits_old else f"{name}_ADDED")
    schema_old = ao if isinstance(ao, dict) and ao else None
    schema_new = an if isinstance(an, dict) and an else None
    if schema_old is None and schema_new is not None and permits_old:
        ctx.found.append(f"{name}_NARROWED")
    elif schema_old is not None and schema_new is None and permits_new:
        ctx.found.append(f"{name}_EXTENDED")
    elif schema_old is not None and schema_new is not None:
        compare(ctx, schema_old, schema_new)


def _removed(ctx: _Context, new: dict[str, Any], name: str, schema: Any) -> str:
    if _open(new):
        return "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL"
    covering = _partial(new, name)
    if covering is not None:
        trial = ctx.sub()
        compare(trial, schema, covering)
        return (
            "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            if trial.compatible()
            else "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        )
    if schema is False:
        return "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    return "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"


def _added(ctx: _Context, old: dict[str, Any], name: str, schema: Any, required: bool) -> list[str]:
    has_default = isinstance(schema, dict) and "default" in schema
    if _open(old):
        if _kind(schema) == "empty":
            return ["PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"]
        if required:
            return [
                "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL"
                if has_default
                else "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"
            ]
        return ["OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]
    out = []
    covering = _partial(old, name)
    if covering is not None:
        trial = ctx.sub()
        compare(trial, covering, schema)
        out.append(
            "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
            if trial.compatible()
            else "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
        )
    if required:
        out.append(
            "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL"
            if has_default
            else "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL"
        )
    elif covering is None:
        out.append("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
    return out


def _dependencies(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if isinstance(a, list) or isinstance(b, list):
            if a is None:
                ctx.found.append("DEPENDENCY_ARRAY_ADDED")
            elif b is None:
                ctx.found.append("DEPENDENCY_ARRAY_REMOVED")
            elif set(a) != set(b):
                ctx.found.append(
                    "DEPENDENCY_ARRAY_EXTENDED"
                    if set(a) < set(b)
                    else "DEPENDENCY_ARRAY_NARROWED"
                    if set(b) < set(a)
                    else "DEPENDENCY_ARRAY_CHANGED"
                )
        elif a is None:
            ctx.found.append("DEPENDENCY_SCHEMA_ADDED")
        elif b is None:
            ctx.found.append("DEPENDENCY_SCHEMA_REMOVED")
        else:
            compare(ctx, a, b)


def _items(schema: dict[str, Any]) -> tuple[list[Any] | None, Any, Any]:
    """(tuple item schemas, schema for every item, additional-items schema) for draft-07 and 2020-12."""
    if "prefixItems" in schema:
        extra = schema["items"] if "items" in schema else schema.get("unevaluatedItems", True)
        return list(schema["prefixItems"]), None, extra
    items = schema.get("items")
    if isinstance(items, list):
        return items, None, schema.get("additionalItems", True)
    return None, items, schema.get("additionalItems", True)


def _array(ctx: _Context, old: dict[str, Any], new: dict[str, Any]) -> None:
    _bound(ctx, old, new, "maxItems", "MAX_ITEMS", "up")
    _bound(ctx, old, new, "minItems", "MIN_ITEMS", "down")
    _bound(ctx, old, new, "maxContains", "MAX_CONTAINS", "up")
    _bound(ctx, old, new, "minContains", "MIN_CONTAINS", "down")
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        ctx.found.append("UNIQUE_ITEMS_ADDED" if new.get("uniqueItems") else "UNIQUE_ITEMS_REMOVED")
    tuple_old, every_old, extra_old = _items(old)
    tuple_new, every_new, extra_new = _items(new)
    if every_old is not None or every_new is not None:
        compare(ctx, every_old if every_old is not None else {}, every_new if every_new is not None else {})
    _extra_diff(ctx, extra_old, extra_new, "ADDITIONAL_ITEMS")
    schema_old = extra_old if isinstance(extra_old, dict) and extra_old else None
    schema_new = extra_new if isinstance(extra_new, dict) and extra_new else None
    a, b = tuple_old or [], tuple_new or []
    for index in range(max(len(a), len(b))):
        if index >= len(a):
            if extra_old in (True, {}):
                ctx.found.append(
                    "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL"
                    if _kind(b[index]) == "empty"
                    else "ITEM_ADDED_TO_OPEN_CONTENT_MODEL"
                )
            elif schema_old is not None:
                trial = ctx.sub()
                compare(trial, schema_old, b[index])
                ctx.found.append(
                    "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    if trial.compatible()
                    else "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                )
            else:
                ctx.found.append("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL")
        elif index >= len(b):
            if extra_new in (True, {}):
                ctx.found.append("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL")
            elif schema_new is not None:
                trial = ctx.sub()
                compare(trial, a[index], schema_new)
                ctx.found.append(
                    "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                    if trial.compatible()
                    else "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"
                )
            elif a[index] is False:
                ctx.found.append("ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
            else:
                ctx.found.append("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL")
        else:
            compare(ctx, a[index], b[index])


KIND_DIFFS: dict[str, Callable[[_Context, dict[str, Any], dict[str, Any]], None]] = {
    "string": _string,
    "number": _number,
    "enum": _enum,
    "combined": _combined_diff,
    "not": _not,
    "object": _object,
    "array": _array,
}


def changes(old: Any, new: Any) -> list[str]:
    ctx = _Context(old, new)
    compare(ctx, old, new)
    return ctx.found


def backward_compatible(old: Any, new: Any, lenient: bool = False) -> bool:
    """New consumers read what old producers wrote."""
    allowed = LENIENT_COMPATIBLE if lenient else STRICT_COMPATIBLE
    return all(change in allowed for change in changes(old, new))


def incompatibilities(old: Any, new: Any) -> Iterator[str]:
    yield from (c for c in changes(old, new) if c not in STRICT_COMPATIBLE)
