"""The operations: every op of mqtt.md (Commands) and the console's, written once.

``table`` says what each op is (one row per op); ``dispatch.Operations``
checks, runs and logs every call once; the handlers are grouped by subject
(``system``, ``bus``, ``meters``, ``params``, ``journal``, ``data``) and
check their arguments with ``args``.
"""
