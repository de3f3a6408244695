"""The remote upgrade's ops (upgrade.begin, upgrade.status, upgrade.apply,
upgrade.abort) and the chunk messages of the uplink: thin calls of
``gateway.upgrade.ops`` with the ``UpgradeContext`` the agent built from the
configuration's [upgrade] table (docs/upgrade.md, Transfer over MQTT)."""

import logging

from upstream.errors import CommandError

log = logging.getLogger(__name__)


class UpgradeOps:
    """Mixin of gateway.ops.dispatch.Operations; ``self.upgrade`` is the
    ``UpgradeContext`` or None (no [upgrade] prefix: every op answers
    ``not_supported``)."""

    def _upgrade_ctx(self, op):
        if self.upgrade is None:
            raise CommandError("not_supported", "%s: this concentrator is not installed in the "
                               "release layout (set upgrade.prefix in the configuration, "
                               "docs/upgrade.md)" % op)
        return self.upgrade

    def op_upgrade_begin(self, args, meta):
        from gateway.upgrade import ops
        return ops.op_begin(self._upgrade_ctx("upgrade.begin"), args)

    def op_upgrade_status(self, args, meta):
        from gateway.upgrade import ops
        return ops.op_status(self._upgrade_ctx("upgrade.status"), args)

    def op_upgrade_apply(self, args, meta):
        from gateway.upgrade import ops
        return ops.op_apply(self._upgrade_ctx("upgrade.apply"), args)

    def op_upgrade_abort(self, args, meta):
        from gateway.upgrade import ops
        return ops.op_abort(self._upgrade_ctx("upgrade.abort"), args)

    def file_chunk(self, transfer, index, payload):
        """A chunk message of the uplink (``<p>/<cid>/file/<transfer>/<index>``):
        stored, or dropped and counted; True if kept.  Never raises."""
        if self.upgrade is None:
            return False
        from gateway.upgrade import ops
        try:
            return ops.put_chunk(self.upgrade, transfer, index, payload)
        except Exception:              # a full disk must not stop the uplink's thread
            log.exception("upgrade: chunk %s/%s not stored", transfer, index)
            return False
