"""outbox_overflow (mqtt.md, Events): replies that found the replies' queue full
are dropped, counted, and the episode raises one event once the queue drains."""

from tests.upstream.test_live_params import link  # noqa: F401  (the fixture)


def test_replies_over_the_queue_are_dropped_counted_and_raise_outbox_overflow(link):  # noqa: F811
    up, params, clock, m = link
    up.replies.max_items = 4
    up.session.client.disconnect()                       # the link goes down
    assert m.wait(lambda: not up.session.up, 10)
    kept = [up.replies.put(b'{"id": "x%d", "ok": true, "result": {}}' % i) for i in range(7)]
    assert kept == [True] * 4 + [False] * 3
    assert up.store.events(type="outbox_overflow") == []  # not before the episode is over
    assert m.wait(lambda: up.session.up, 20)             # the session reconnects by itself
    assert m.wait(lambda: len([r for r in m.replies if r["id"].startswith("x")]) == 4, 20)
    assert m.wait(lambda: up.store.events(type="outbox_overflow"), 10)
    (event,) = up.store.events(type="outbox_overflow")
    assert event["detail"]["dropped"] == 3 and event["detail"]["what"] == "replies"
    assert up.status()["replies_dropped"] == 3 and up.status()["replies_waiting"] == 0
