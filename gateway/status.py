"""The numbers the CLI, the LCD, ``diag`` and the MQTT heartbeat all show
(principle 7: one set of counters, everywhere)."""


def summary(engine, store, params):
    """A compact status: ports, store use, clock, meter health."""
    ports = {}
    for name, bus in engine.buses.items():
        counters = getattr(bus, "counters", None)
        snap = counters.port.snapshot() if counters else {}
        ports[name] = {"requests": snap.get("requests", 0), "replies": snap.get("replies", 0),
                       "timeouts": snap.get("timeouts", 0), "success_rate": snap.get("success_rate"),
                       "queue": len(engine.queues[name]), "last_error": snap.get("last_error"),
                       "noise_bytes": snap.get("noise_bytes", 0),
                       "port_faults": snap.get("port_faults", 0),
                       "unusable": name in engine.bus_health.unusable_buses()}
    usage = store.usage()
    offline = sum(1 for conds in engine.health.state.values() if "offline" in conds)
    return {"ports": ports,
            "store": {"bytes": usage["bytes"], "budget": int(params.get("store.budget_mb")) * 1048576},
            "clock": engine.timekeeping.status(),
            "meters": {"total": len(engine.archive_meters()), "offline": offline}}
