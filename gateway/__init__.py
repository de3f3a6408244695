"""The composition root: configuration, agent lifecycle, CLI, control socket, LCD."""

__version__ = "0.1.0"
