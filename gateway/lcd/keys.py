"""The six keys of the concentrator's front panel."""

UP = "UP"
DOWN = "DOWN"
LEFT = "LEFT"
RIGHT = "RIGHT"
CANCEL = "CANCEL"      # Esc
OK = "OK"              # confirm / Enter

KEYS = (UP, DOWN, LEFT, RIGHT, CANCEL, OK)
ALIASES = {"ESC": CANCEL, "ESCAPE": CANCEL, "BACK": CANCEL, "ENTER": OK, "CONFIRM": OK,
           "RETURN": OK}


def key_name(name):
    """The key called ``name`` (case-insensitive; Esc and Enter as aliases), or
    ValueError naming the keys there are."""
    k = str(name).strip().upper()
    k = ALIASES.get(k, k)
    if k not in KEYS:
        raise ValueError("no key %r: the keys are %s (ESC = CANCEL, ENTER = OK)"
                         % (name, ", ".join(KEYS)))
    return k
