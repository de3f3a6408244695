"""The release layout's side that must always work: files and links
(``files``), the state and its events (``state``), the boot check, rollback
and status (``check``), the running agent's probation (``probation``) and the
command line of the copy (``main``).

Standard library only, and relative imports only: the package is copied
whole, outside the releases, into one file (``gateway.upgrade.bootcopy``),
which systemd's ExecStartPre runs before the agent, so that a broken new
release cannot keep its own rollback from running.
"""
