"""Prints, as JSON, what the export tests check in a generated file: its module-level constants
(literal_eval of each simple assignment), the lh.* calls of transform_rows in order (with literal
arguments), and the top-level functions. Reads the file with ast only: nothing is executed."""
import ast
import json
import sys


def literal(node):
    try:
        return ast.literal_eval(node)
    except ValueError:
        return {"__expr__": ast.unparse(node)}


tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
constants, calls, functions = {}, [], []
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        constants[node.targets[0].id] = literal(node.value)
    if isinstance(node, ast.FunctionDef):
        functions.append(node.name)
        if node.name == "transform_rows":
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and isinstance(inner.func.value, ast.Name) \
                        and inner.func.value.id == "lh" and inner.func.attr != "check_kept":
                    calls.append({
                        "line": inner.lineno,
                        "func": inner.func.attr,
                        "args": [literal(a) for a in inner.args],
                        "kwargs": {k.arg: literal(k.value) for k in inner.keywords},
                    })
calls.sort(key=lambda c: c["line"])
print(json.dumps({"constants": constants, "calls": calls, "functions": functions}))
