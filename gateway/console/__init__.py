"""The console's rooms below the CLI: the control socket (``server``: the
running agent's side; ``client``: the console's side and ``AgentLink``,
which picks the socket or the files) and the offline mode (``offline``:
the same ops on the files when the agent is stopped)."""
