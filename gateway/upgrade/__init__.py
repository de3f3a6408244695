"""Remote software upgrade (issue 14): signed packages, chunked transfer,
side-by-side install with probation and automatic rollback.

``keys``      Ed25519 key files, sign, verify
``package``   build and verify signed release packages
``install``   unpack and switch a verified package beside the running release
              (re-exports ``boot``'s names: the one module callers import)
``boot``      files and links, state and events, ``boot_check``, rollback,
              status, ``Probation`` (standard library and relative imports
              only: it runs as a copy outside the releases)
``bootcopy``  writes that copy: ``<prefix>/upgrade-boot.pyz``, one file
``transfer``  the chunked transfer of mqtt.md (Upgrade), persisted on disk
``ops``       the MQTT ops ``upgrade.*`` and the chunk topic
``cli``       the ``upgrade`` click group

The format and the procedures are in docs/upgrade.md.
"""

PRODUCT = "concentrator"
