"""``concentrator lcd``: the front panel in a terminal, scripted key presses,
screenshots, and the keys' password hash.

Against the running agent it shows and drives the agent's panel (the
``lcd.keys`` and ``lcd.screen`` ops through the control socket); without one
it works on the stored files through the offline console (a panel of its
own, starting at the home screen) and says so.
"""

import base64
import os
import select
import sys

import click

from gateway.cli.common import config_option, connect, fail

ARROWS = {"A": "UP", "B": "DOWN", "C": "RIGHT", "D": "LEFT"}
TEXT_SIZE = (80, 24)
PIXEL_SIZE = (80, 40)


def framebuffer(screen):
    """The gateway.lcd.framebuf.FrameBuffer of an ``lcd.screen`` result."""
    from gateway.lcd.framebuf import FrameBuffer
    return FrameBuffer(screen["width"], screen["height"],
                       bytearray(base64.b64decode(screen["raw"])))


def key_list(text):
    from gateway.lcd.keys import key_name
    try:
        return [key_name(k) for k in text.split(",") if k.strip()]
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--keys")


@click.group(invoke_without_command=True)
@config_option
@click.option("--keys", "keys", metavar="K1,K2,...",
              help="Press these keys (UP DOWN LEFT RIGHT OK CANCEL; ENTER, ESC as aliases).")
@click.option("--png", "png_path", type=click.Path(dir_okay=False, writable=True),
              metavar="FILE", help="Save the screen as a 1-bit PNG.")
@click.option("--scale", type=click.IntRange(1, 8), default=2, show_default=True,
              help="Pixels of the PNG per LCD pixel.")
@click.option("--text", is_flag=True, help="Print the screen's text lines.")
@click.option("--pixels", is_flag=True,
              help="Show the real pixels as braille (80x40 cells; with --text: print them).")
@click.option("--lang", type=click.Choice(["zh", "en"]),
              help="The language to show (default: the panel's, zh).")
@click.pass_context
def lcd(ctx, config_path, keys, png_path, scale, text, pixels, lang):
    """The LCD and its six keys, in the terminal or scripted.

    Without --keys, --png or --text: interactive.  Arrows move, Enter is OK,
    Esc is CANCEL, q quits; the screen's text lines fit an 80x24 terminal,
    --pixels shows the real pixels (80x40 or more).

    \b
    Examples:
      concentrator lcd                           interactive
      concentrator lcd --keys DOWN,DOWN,OK --png screen.png
      concentrator lcd --keys OK --text --lang en
      concentrator lcd passwd                    the [lcd] password_hash line
    """
    if ctx.invoked_subcommand is not None:
        return
    link = connect(config_path)
    try:
        args = {"lang": lang} if lang else {}
        if keys or png_path or text:
            pressed = key_list(keys) if keys else []
            screen = link.call("lcd.keys", dict(args, keys=pressed)) if pressed else \
                link.call("lcd.screen", args)
            if png_path:
                from gateway.lcd import render
                with open(png_path, "wb") as f:
                    f.write(render.png(framebuffer(screen), scale))
            if text or not png_path:
                show(screen, pixels)
            return
        if not sys.stdin.isatty():
            fail("interactive mode needs a terminal", code=2,
                 hint="script it: concentrator lcd --keys DOWN,OK --text")
        interactive(link, args, pixels)
    finally:
        link.close()


def show(screen, pixels=False):
    if pixels:
        from gateway.lcd import render
        for line in render.braille(framebuffer(screen)):
            click.echo(line)
    else:
        for line in screen["lines"]:
            click.echo(line)


def frame(screen, pixels, size):
    """The terminal's picture: the screen in a box, and the keys under it."""
    cols, rows = size
    if pixels and (cols < PIXEL_SIZE[0] or rows < PIXEL_SIZE[1]):
        pixels = False
        note = "(--pixels needs 80x40: text lines shown)"
    else:
        note = ""
    if pixels:
        from gateway.lcd import render
        body = render.braille(framebuffer(screen))
    else:
        body = [(">" if inv and i else " ") + line for i, (line, inv) in
                enumerate(zip(screen["lines"], screen["inverted"]))]
        # 22 columns hold a 16 px line; a 12 px screen's lines may be longer
        rule = "+" + "-" * max([22] + [cells(line) for line in body]) + "+"
        body = [rule] + ["|" + line for line in body] + [rule]
    keys = "arrows move  Enter OK  Esc CANCEL  q quit" + ("" if screen["backlight"]
                                                             else "  (backlight off)")
    if pixels and rows < PIXEL_SIZE[1] + 1:
        return body                     # exactly 40 rows: the pixels, no room for the keys
    return body + [keys] + ([note] if note else [])


def cells(text):
    """Terminal columns of ``text`` (East Asian wide characters take two)."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def read_key(fd, timeout):
    """One key from the raw terminal ``fd`` (None: nothing within ``timeout``)."""
    if not select.select([fd], [], [], timeout)[0]:
        return None
    ch = os.read(fd, 1)
    if ch == b"\x1b":
        if not select.select([fd], [], [], 0.05)[0]:
            return "CANCEL"
        intro = os.read(fd, 1)
        if intro not in (b"[", b"O"):
            return "CANCEL"
        # read the sequence to its final byte only: a key typed right after it
        # (DOWN then Enter in one read) stays for the next call
        seq = b""
        while len(seq) < 16 and select.select([fd], [], [], 0.05)[0]:
            seq += os.read(fd, 1)
            if 0x40 <= seq[-1] <= 0x7E:
                break
        return ARROWS.get(seq[-1:].decode("ascii", "replace"))
    return decode_key(ch)


def decode_key(ch):
    if ch in (b"\r", b"\n"):
        return "OK"
    if ch in (b"q", b"Q", b"\x03", b"\x04"):
        return "QUIT"
    return None


def interactive(link, args, pixels):
    import shutil
    import termios
    import tty
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        screen = link.call("lcd.screen", args)
        while True:
            size = shutil.get_terminal_size(TEXT_SIZE)
            # no newline after the last line: a frame of the terminal's height must not scroll
            out = "\x1b[H\x1b[2J" + "\r\n".join(frame(screen, pixels, size))
            sys.stdout.write(out)
            sys.stdout.flush()
            key = read_key(fd, 1.0)
            if key == "QUIT":
                break
            screen = link.call("lcd.keys", dict(args, keys=[key])) if key else \
                link.call("lcd.screen", args)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        sys.stdout.write("\r\n")


@lcd.command()
def passwd():
    """Print the [lcd] password_hash line for a new six-digit password.

    The password is asked twice and never stored: paste the printed line into
    the [lcd] section of the configuration and restart the agent.

    \b
    Example:
      concentrator lcd passwd >> /etc/concentrator/concentrator.toml   (then move
      the line under [lcd])
    """
    from gateway.lcd.config import make_hash
    password = click.prompt("LCD password (six digits)", hide_input=True,
                            confirmation_prompt=True, err=True)
    try:
        click.echo('password_hash = "%s"' % make_hash(password))
    except ValueError as err:
        fail(str(err), code=2)
