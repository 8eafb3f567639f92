"""Guards that scripts/schemathesis.sh loads into schemathesis (SCHEMATHESIS_HOOKS).

The fuzzer runs against a real Chrontainer on the machine's real Docker Engine, which may hold
containers that are not the run's own: another test's, or a developer's. Chrontainer resolves a
container reference by name, by full ID or by a unique ID prefix, so a generated "a3" could name
any of them. Before each request, a reference (in the path or in a schedule's body) that would reach
a container outside this run is replaced by one of the run's own. The same hook keeps the run's
credential alive: a request that would revoke the run's token, or delete, demote or re-password the
user it belongs to, is aimed at an ID that does not exist (a 404) instead.

Environment (set by the script): ST_RUN_LABEL (the label value the run's containers carry),
ST_OWN_NAMES (their names, comma-separated), ST_TOKEN_ID, ST_USER_ID.
"""

import os
import re
import subprocess
import time

import schemathesis

RUN_LABEL = os.environ["ST_RUN_LABEL"]
OWN_NAMES = [n for n in os.environ["ST_OWN_NAMES"].split(",") if n]
TOKEN_ID = int(os.environ["ST_TOKEN_ID"])
USER_ID = int(os.environ["ST_USER_ID"])
# a well-formed ID that no row has: the request is still sent, and answered 404
ABSENT_ID = 2_000_000_000
HEX = re.compile(r"[0-9a-f]+")

# no compose project has this name (the run's containers have no compose labels)
ABSENT_STACK = "st-absent-stack"
_foreign = {"at": 0.0, "names": frozenset(), "ids": ()}


def foreign_containers():
    """Names and IDs of every container on the Engine that is not this run's, re-read every 2 s
    (other tests create containers while the fuzzer runs). Fails closed: no list, no request."""
    if time.monotonic() - _foreign["at"] > 2.0:
        out = subprocess.run(
            ["docker", "ps", "-a", "--no-trunc", "--format",
             '{{.ID}}\t{{.Names}}\t{{.Label "chrontainer-schemathesis"}}'],
            check=True, capture_output=True, text=True, timeout=30,
        ).stdout
        names, ids = set(), []
        for line in out.splitlines():
            cid, name, label = (line.split("\t") + ["", ""])[:3]
            if label != RUN_LABEL:
                ids.append(cid.lower())
                names.update(n.strip().lower() for n in name.split(","))
        _foreign.update(at=time.monotonic(), names=frozenset(names), ids=tuple(ids))
    return _foreign["names"], _foreign["ids"]


def reaches_foreign(reference):
    """True when Chrontainer could resolve `reference` to a container that is not the run's.
    Generous on purpose (case, spaces, a leading '/'): a needless swap only costs one example."""
    if not isinstance(reference, str):
        return False
    wanted = reference.strip().lower()
    wanted = wanted[1:] if wanted.startswith("/") else wanted
    if not wanted:
        return False
    names, ids = foreign_containers()
    if wanted in names:
        return True
    return HEX.fullmatch(wanted) is not None and any(i.startswith(wanted) for i in ids)


def own_container(reference):
    return OWN_NAMES[hash(reference) % len(OWN_NAMES)]


def same_id(raw, protected):
    """Whether the path segment `raw` could parse to `protected` (Rust's i32 parse takes `+` and
    leading zeros)."""
    return re.fullmatch(r"\s*\+?0*" + str(protected) + r"\s*", str(raw)) is not None


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    method = case.method.upper()
    params = case.path_parameters
    if params and path.startswith("/api/containers/") and reaches_foreign(params.get("ref")):
        params["ref"] = own_container(params["ref"])
    if isinstance(case.body, dict) and reaches_foreign(case.body.get("container")):
        case.body["container"] = own_container(case.body["container"])
    # a stack action acts on every container of a compose project: never on one found on the Engine
    if params and path.startswith("/api/stacks/") and "name" in params:
        params["name"] = ABSENT_STACK
    if isinstance(case.body, dict) and "stack" in case.body:
        case.body["stack"] = ABSENT_STACK
    steps = case.body.get("steps") if isinstance(case.body, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and reaches_foreign(step.get("container")):
            step["container"] = own_container(step["container"])
        if isinstance(step, dict) and "stack" in step:
            step["stack"] = ABSENT_STACK
    if params and path == "/api/tokens/{id}" and method == "DELETE" and same_id(params.get("id"), TOKEN_ID):
        params["id"] = ABSENT_ID
    if params and path == "/api/users/{id}" and method in ("DELETE", "PATCH") and same_id(params.get("id"), USER_ID):
        params["id"] = ABSENT_ID
