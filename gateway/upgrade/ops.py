"""The MQTT ops of the remote upgrade (mqtt.md, Upgrade), as plain functions.

Each op takes the ``UpgradeContext`` and the command's ``args`` dict and
returns a JSON-able result, or raises ``UpgradeOpError`` (a
``upstream.errors.CommandError``: ``code`` from mqtt.md's list, ``message``
naming the field).  Wiring them into the op table is one row each::

    "upgrade.begin":  lambda args: ops.op_begin(ctx, args)
    "upgrade.status": lambda args: ops.op_status(ctx, args)
    "upgrade.apply":  lambda args: ops.op_apply(ctx, args)     # slow, control
    "upgrade.abort":  lambda args: ops.op_abort(ctx, args)

(``OPS`` maps the names to the functions.)  The uplink subscribes to
``<p>/<cid>/file/+/+`` and hands each message to ``handle_chunk(ctx,
topic, payload)`` (or, with the topic parsed by the uplink, to
``put_chunk(ctx, transfer, index, payload)``).
"""

import shutil

from gateway.upgrade import install as inst
from gateway.upgrade.package import PackageError
from gateway.upgrade.transfer import Transfers, TransferError
from upstream.errors import CommandError


class UpgradeOpError(CommandError):
    """An ``upgrade.*`` op refused; ``detail`` carries ``reason`` for a
    refused package."""


class UpgradeContext:
    """What the upgrade ops need from the agent.

    ``transfers_dir``: where transfers are kept (e.g. ``<data_dir>/upgrade``);
    ``prefix``: the install prefix (``/opt/concentrator``);
    ``trusted_keys``: the public keys of the configuration (hex);
    ``clock``: the agent's Clock (``.time()``);
    ``on_restart()``: schedules the agent's restart after the reply;
    ``on_event(detail)``: raises an ``upgrade`` event (refusals: ``{"result":
    "refused", "reason", "message", "version"}``);
    ``store_path``: the store to copy while the new version is on probation
    (None: no copy); ``required``: the probation milestones that apply.
    """

    def __init__(self, transfers_dir, prefix, trusted_keys, clock, on_restart=None,
                 on_event=None, store_path=None, probation_s=inst.DEFAULT_PROBATION_S,
                 max_attempts=inst.DEFAULT_MAX_ATTEMPTS, required=inst.MILESTONES,
                 running_version=None, disk_usage=shutil.disk_usage, materialize=None):
        self.transfers = Transfers(transfers_dir, disk_usage=disk_usage)
        self.prefix = prefix
        self.trusted_keys = list(trusted_keys or ())
        self.clock = clock
        self.on_restart = on_restart
        self.on_event = on_event
        self.store_path = store_path
        self.probation_s = probation_s
        self.max_attempts = max_attempts
        self.required = tuple(required)
        self.running_version = running_version
        self.disk_usage = disk_usage
        self.materialize = materialize


def _args(args, *required, optional=()):
    if not isinstance(args, dict):
        raise UpgradeOpError("bad_request", "args: give an object")
    unknown = sorted(set(args) - set(required) - set(optional))
    if unknown:
        raise UpgradeOpError("bad_request", "unknown argument %s; allowed: %s"
                             % (unknown[0], ", ".join(required + tuple(optional))))
    for name in required:
        if name not in args:
            raise UpgradeOpError("bad_request", "%s is missing" % name)
    return args


def _call(fn, *a):
    try:
        return fn(*a)
    except TransferError as err:
        raise UpgradeOpError(err.code, err.message) from None


def op_begin(ctx, args):
    """``{transfer, version, size, sha256, chunk}`` -> ``{"transfer", "have"}``."""
    a = _args(args, "transfer", "version", "size", "sha256", "chunk")
    return _call(ctx.transfers.begin, a["transfer"], a["version"], a["size"], a["sha256"],
                 a["chunk"])


def op_status(ctx, args):
    """``{transfer}`` -> ``{"received", "missing", "state", ...}``; without
    ``transfer``: the open transfers and the install state."""
    a = _args(args or {}, optional=("transfer",))
    if "transfer" not in a:
        return {"transfers": [_call(ctx.transfers.status, t) for t in ctx.transfers.list()],
                "install": inst.status(ctx.prefix)}
    return _call(ctx.transfers.status, a["transfer"])


def op_abort(ctx, args):
    """``{transfer}`` -> ``{"transfer", "aborted"}``."""
    a = _args(args, "transfer")
    return {"transfer": a["transfer"], "aborted": _call(ctx.transfers.abort, a["transfer"])}


def op_apply(ctx, args):
    """``{transfer}``: check the whole file's hash, verify the package and
    install it beside the running release; then the agent restarts into it.
    Reply ``{"accepted": true, "transfer", "version", "previous"}``; the final
    word is an ``upgrade`` event (installed / confirmed / rolled_back)."""
    a = _args(args, "transfer", optional=("allow_downgrade",))
    if a.get("allow_downgrade"):
        raise UpgradeOpError("not_supported", "allow_downgrade: a downgrade is done from the "
                             "console (concentrator upgrade install --allow-downgrade)")
    if inst.status(ctx.prefix)["current"] is None:
        raise UpgradeOpError("not_supported", "no release is installed under %s: this board "
                             "runs outside the release layout, install from the console "
                             "first (docs/upgrade.md)" % ctx.prefix)
    path = _call(ctx.transfers.assemble, a["transfer"])
    try:
        done = inst.install(path, ctx.prefix, ctx.trusted_keys, ctx.clock,
                            running_version=ctx.running_version, store_path=ctx.store_path,
                            probation_s=ctx.probation_s, max_attempts=ctx.max_attempts,
                            required=ctx.required, disk_usage=ctx.disk_usage,
                            materialize=ctx.materialize)
    except PackageError as err:
        if ctx.on_event:
            ctx.on_event({"result": "refused", "reason": err.reason, "message": err.message,
                          "version": err.info.version if err.info else None,
                          "transfer": a["transfer"]})
        raise UpgradeOpError("bad_request", err.message, {"reason": err.reason}) from None
    except inst.InstallError as err:
        code = "busy" if err.reason == "busy" else "internal"
        raise UpgradeOpError(code, err.message, {"reason": err.reason}) from None
    ctx.transfers.mark_applied(a["transfer"])
    if ctx.on_restart:
        ctx.on_restart()
    return {"accepted": True, "transfer": a["transfer"], "version": done["version"],
            "previous": done["previous"], "state": done["state"]}


OPS = {"upgrade.begin": op_begin, "upgrade.status": op_status, "upgrade.apply": op_apply,
       "upgrade.abort": op_abort}
SLOW = ("upgrade.apply",)
CONTROL = ("upgrade.apply",)


def parse_chunk_topic(topic):
    """``<p>/<cid>/file/<transfer>/<index>`` -> ``(transfer, index)``, or
    None for another topic or an index that is not a decimal number."""
    parts = topic.split("/")
    if len(parts) < 5 or parts[-3] != "file":
        return None
    index = parts[-1]
    if not index.isdigit() or len(index) > 9:
        return (parts[-2], -1)
    return parts[-2], int(index)


def handle_chunk(ctx, topic, payload):
    """A binary message on the chunk topic: stored, or dropped and counted.
    Returns True if the chunk was kept.  Never raises on bad input."""
    parsed = parse_chunk_topic(topic)
    if parsed is None:
        ctx.transfers.dropped_unknown += 1
        return False
    transfer, index = parsed
    return put_chunk(ctx, transfer, index, payload)


def put_chunk(ctx, transfer, index, payload):
    """Chunk ``index`` (an int; -1 for an index that was not a number) of
    ``transfer``, as the uplink parsed it from the topic: kept (True) or
    dropped and counted (False)."""
    return ctx.transfers.put_chunk(transfer, index, bytes(payload))
