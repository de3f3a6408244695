"""sd_notify never holds up the agent: a receiver that does not read (its
datagram queue full) costs the message, not the agent's loop or its stop."""

import socket
import threading

from gateway.agent import sd_notify


def test_a_full_notify_queue_drops_the_message_instead_of_blocking(tmp_path, monkeypatch):
    path = str(tmp_path / "notify.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    results = []

    def ping():
        for _ in range(40):            # more than a datagram queue holds unread (often 10)
            results.append(sd_notify("WATCHDOG=1"))
    t = threading.Thread(target=ping, daemon=True)
    t.start()
    t.join(120)                        # each dropped message waits NOTIFY_TIMEOUT at most
    try:
        assert not t.is_alive(), "sd_notify blocked on a full queue"
        assert results[0] is True and results[-1] is False     # delivered, then dropped
        assert receiver.recv(64) == b"WATCHDOG=1"
    finally:
        receiver.close()
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert sd_notify("READY=1") is False                        # not under systemd
