"""Remote software upgrade (issue 14): signed packages, chunked transfer,
side-by-side install with probation and automatic rollback.

``keys``      Ed25519 key files, sign, verify
``package``   build and verify signed release packages
``install``   releases side by side, the ``current`` link, probation, rollback,
              ``boot_check`` (standard library only: it may run as a copy
              outside the releases, see docs/upgrade.md)
``transfer``  the chunked transfer of mqtt.md (Upgrade), persisted on disk
``ops``       the MQTT ops ``upgrade.*`` and the chunk topic
``cli``       the ``upgrade`` click group

The format and the procedures are in docs/upgrade.md.
"""

PRODUCT = "concentrator"
