"""Q/GDW 1376.2-2013 named frame builders: every frame the concentrator sends and
every frame a local communication module sends (for the simulated radio module).

Each is one call of ``gdw1376_2.build`` with the data-unit fields of
``gdw1376_2_units``; keyword arguments go through to ``build`` (``seq``,
``comm_mode``, R-field parts such as ``expected_reply_bytes`` or
``reply_quality``, ``prm``).  Inner meter frames are bytes (or hex text).
"""

from protocols.gdw1376_2.codec import build


def _frame_fields(frame, protocol, **more):
    more["protocol_type"] = protocol
    more["inner_frame"] = frame
    return more


# concentrator -> module (and the confirm/deny both sides send)

def confirm(up=False, channel_status=0xFFFFFFFF, wait_time=0, **kw):
    return build(0x00, 1, {"channel_status": channel_status, "wait_time": wait_time}, up, **kw)


def deny(error, up=False, **kw):
    return build(0x00, 2, {"error": error}, up, **kw)


def hardware_init(**kw):
    return build(0x01, 1, **kw)


def param_init(**kw):
    return build(0x01, 2, **kw)


def data_init(**kw):
    return build(0x01, 3, **kw)


def forward(protocol, frame, up=False, **kw):
    """AFN 02H F1 transparent forwarding (either direction)."""
    return build(0x02, 1, _frame_fields(frame, protocol), up, **kw)


def query(fn, **kw):
    """AFN 03H query: F1 vendor/version, F4 master-node address, F10 run mode."""
    return build(0x03, fn, **kw)


def send_test(duration_s, **kw):
    return build(0x04, 1, {"duration_s": duration_s}, **kw)


def roll_call(**kw):
    return build(0x04, 2, **kw)


def comm_test(dst_address, protocol, frame, rate_index=0, **kw):
    return build(0x04, 3, _frame_fields(frame, protocol, dst_address=dst_address,
                                        rate_index=rate_index), **kw)


def set_master_address(address, **kw):
    return build(0x05, 1, {"master_node_address": address}, **kw)


def set_reporting(allow, **kw):
    return build(0x05, 2, {"allow": 1 if allow else 0}, **kw)


def start_broadcast(protocol, frame, **kw):
    return build(0x05, 3, _frame_fields(frame, protocol), **kw)


def query_slave_count(**kw):
    return build(0x10, 1, **kw)


def query_slave_info(start_index, count, **kw):
    return build(0x10, 2, {"start_index": start_index, "count": count}, **kw)


def query_router_status(**kw):
    return build(0x10, 4, **kw)


def add_slaves(nodes, **kw):
    """AFN 11H F1: nodes as (address, protocol type) pairs."""
    return build(0x11, 1, {"nodes": [{"address": a, "protocol": p} for a, p in nodes]}, **kw)


def delete_slaves(addresses, **kw):
    return build(0x11, 2, {"addresses": list(addresses)}, **kw)


def start_registration(start_time, duration_min, retries=1, slots=1, **kw):
    return build(0x11, 5, {"start_time": start_time, "duration_min": duration_min,
                           "retries": retries, "slots": slots}, **kw)


def stop_registration(**kw):
    return build(0x11, 6, **kw)


def route_control(fn, **kw):
    """AFN 12H: F1 restart, F2 pause, F3 resume."""
    return build(0x12, fn, **kw)


def monitor(src, dst, frame, protocol=2, delay_related=0, attached=(), **kw):
    """AFN 13H F1 downlink: ask the module to pass ``frame`` to node ``dst``."""
    fields = _frame_fields(frame, protocol, delay_related_flag=delay_related,
                           attached_addresses=list(attached))
    return build(0x13, 1, fields, src=src, dst=dst, **kw)


def route_read_reply(read_flag, frame=b"", delay_related=0, attached=(), **kw):
    """AFN 14H F1 downlink: the concentrator's answer to a route read request."""
    return build(0x14, 1, {"read_flag": read_flag, "delay_related_flag": delay_related,
                           "inner_frame": frame, "attached_addresses": list(attached)}, **kw)


def clock_reply(when, **kw):
    return build(0x14, 2, {"time": when}, **kw)


def corrected_frame_reply(frame, **kw):
    return build(0x14, 3, {"inner_frame": frame}, **kw)


# module -> concentrator

def vendor_reply(vendor_code, chip_code, version_date, version, **kw):
    return build(0x03, 1, {"vendor_code": vendor_code, "chip_code": chip_code,
                           "version_date": version_date, "version": version}, True, **kw)


def master_address_reply(address, **kw):
    return build(0x03, 4, {"master_node_address": address}, True, **kw)


def run_mode_reply(fields, **kw):
    return build(0x03, 10, fields, True, **kw)


def report_slaves(nodes, **kw):
    """AFN 06H F1: nodes as (address, protocol, index)."""
    return build(0x06, 1, {"nodes": [{"address": a, "protocol": p, "index": i}
                                     for a, p, i in nodes]}, True, **kw)


def report_read(index, protocol, frame, duration_s=0, **kw):
    return build(0x06, 2, _frame_fields(frame, protocol, index=index, duration_s=duration_s),
                 True, **kw)


def report_route_change(change, **kw):
    return build(0x06, 3, {"change": change}, True, **kw)


def report_slaves_typed(nodes, **kw):
    """AFN 06H F4: nodes as dicts (address, protocol, index, device_type,
    attached_total, attached: [{address, protocol}])."""
    return build(0x06, 4, {"nodes": nodes}, True, **kw)


def report_event(device_type, protocol, frame, **kw):
    return build(0x06, 5, _frame_fields(frame, protocol, device_type=device_type), True, **kw)


def slave_count_reply(slave_count, max_slaves, **kw):
    return build(0x10, 1, {"slave_count": slave_count, "max_slaves": max_slaves}, True, **kw)


def slave_info_reply(total, nodes, **kw):
    """AFN 10H F2 uplink: nodes as dicts (address, relay_level, signal_quality,
    phase, protocol)."""
    return build(0x10, 2, {"total": total, "nodes": nodes}, True, **kw)


def router_status_reply(fields, **kw):
    return build(0x10, 4, fields, True, **kw)


def monitor_reply(src, dst, frame, protocol=2, duration_s=0, **kw):
    """AFN 13H F1 uplink: the meter's answer, from node ``src`` to ``dst``."""
    return build(0x13, 1, _frame_fields(frame, protocol, duration_s=duration_s), True,
                 src=src, dst=dst, **kw)


def route_read_request(address, index, phase=0, **kw):
    return build(0x14, 1, {"phase": phase, "address": address, "index": index}, True, **kw)


def clock_request(**kw):
    return build(0x14, 2, None, True, **kw)


def corrected_frame_request(address, frame, delay_s=0, **kw):
    return build(0x14, 3, {"address": address, "delay_s": delay_s, "inner_frame": frame},
                 True, **kw)
