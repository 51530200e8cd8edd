#!/usr/bin/env python3
"""Counts a crate's documented public surface from rustdoc's JSON output.

Usage: api_surface.py target/doc/eventsmith.json [--max-items N] [--max-methods N] [--list]

An item is counted once however many public paths reach it: the modules,
types, traits, functions, constants, statics, macros and foreign-crate
re-exports reachable from the crate root through public modules and
re-exports, leaving out whatever is `#[doc(hidden)]` (and everything under
it). Inherent methods are the public functions of the inherent impls of the
counted structs, enums and unions, again without the hidden ones. Exits 1
when a count is above its maximum.
"""
import json
import sys

COUNTED = {"module", "struct", "enum", "union", "trait", "function", "type_alias",
           "constant", "static", "macro", "proc_macro", "trait_alias"}


def hidden(item):
    return any("doc(hidden)" in str(a).replace(" ", "") for a in item.get("attrs", []))


def main():
    args = sys.argv[1:]
    path = args[0]
    limits = {}
    for flag in ("--max-items", "--max-methods"):
        if flag in args:
            limits[flag] = int(args[args.index(flag) + 1])
    doc = json.load(open(path))
    index = doc["index"]
    get = lambda i: index.get(str(i))
    items, foreign, methods = {}, set(), {}

    def visit(item_id, parent, alias=None):
        """Counts the item `item_id`, reached as `parent::alias` (or its own name)."""
        item = get(item_id)
        if item is None or hidden(item):
            return
        kind, inner = next(iter(item["inner"].items()))
        if kind == "use":
            target = inner.get("id")
            if target is None or get(target) is None:
                # A re-export of a foreign crate's item or module.
                foreign.add(f"{parent}::{inner.get('name')} = {inner.get('source')}")
            elif inner.get("is_glob"):
                module = get(target)["inner"].get("module")
                for child in (module or {}).get("items", []):
                    visit(child, parent)
            else:
                visit(target, parent, inner.get("name"))
            return
        if kind not in COUNTED:
            return
        path = f"{parent}::{alias or item['name']}"
        if item_id in items:
            return
        items[item_id] = (kind, path)
        if kind == "module":
            for child in inner["items"]:
                visit(child, path)
        elif kind in ("struct", "enum", "union"):
            for impl_id in inner.get("impls", []):
                impl = get(impl_id)
                if impl is None or hidden(impl):
                    continue
                body = impl["inner"]["impl"]
                if body.get("trait") is not None or body.get("blanket_impl") is not None:
                    continue
                for m in body["items"]:
                    mi = get(m)
                    if mi and "function" in mi["inner"] and mi["visibility"] == "public" and not hidden(mi):
                        methods[m] = f"{path}::{mi['name']}"

    root = get(doc["root"])
    for child in root["inner"]["module"]["items"]:
        visit(child, root["name"])
    if "--list" in args:
        for kind, name in sorted(items.values(), key=lambda x: x[1]):
            print(f"{kind:11} {name}")
        for f in sorted(foreign):
            print(f"{'foreign':11} {f}")
        for m in sorted(methods.values()):
            print(f"{'method':11} {m}")
    n_items = len(items) + len(foreign)
    print(f"{path}: {n_items} items ({len(items)} own, {len(foreign)} foreign re-exports), "
          f"{len(methods)} inherent methods")
    failed = False
    if "--max-items" in limits and n_items > limits["--max-items"]:
        print(f"more than {limits['--max-items']} items", file=sys.stderr)
        failed = True
    if "--max-methods" in limits and len(methods) > limits["--max-methods"]:
        print(f"more than {limits['--max-methods']} inherent methods", file=sys.stderr)
        failed = True
    sys.exit(1 if failed else 0)


main()
