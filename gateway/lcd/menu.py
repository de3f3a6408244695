"""The LCD's menu model, as data: the tree of entries (labels in Chinese and
English, the screen kind each shows and the operation that feeds it), the
keys of each screen kind, and every text the screens print.

An operation is one of the console's and MQTT's (``status``, ``diag``,
``meters.list``, ``data``, ``events.query``, ``params.get``, ``params.set``,
``time.get``, ``reset``): the LCD has no data of its own.
"""

from gateway.lcd.keys import CANCEL, DOWN, LEFT, OK, RIGHT, UP


class Entry:
    """One menu entry: ``id``, ``label`` (zh, en), ``screen`` (a kind of
    ``KEYMAP``), ``op`` and ``args`` (where its data comes from, or what it
    does), ``password`` (needs an operator's password first), ``children``."""

    __slots__ = ("id", "label", "screen", "op", "args", "password", "children")

    def __init__(self, id, zh, en, screen, op=None, args=None, password=False, children=()):
        self.id = id
        self.label = (zh, en)
        self.screen = screen
        self.op = op
        self.args = args or {}
        self.password = password
        self.children = tuple(children)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


MENU = Entry("home", "主界面", "Home", "home", op="status", children=(
    Entry("main", "主菜单", "Main menu", "menu", children=(
        Entry("meters", "测量点数据", "Meter data", "menu", children=(
            Entry("meters.pick", "按序号选择", "Pick from list", "meter_list", op="meters.list"),
            Entry("meters.find", "按地址查找", "Find by address", "address", op="meters.list"),
        )),
        Entry("ports", "抄表与通道状态", "Reading & ports", "ports", op="diag"),
        Entry("events", "事件告警", "Events & alarms", "events", op="events.query"),
        Entry("params", "参数设置与查看", "Parameters", "params", op="params.get"),
        Entry("terminal", "终端管理与维护", "Terminal", "menu", children=(
            Entry("terminal.info", "终端信息", "Terminal info", "terminal", op="status"),
            Entry("terminal.clock", "终端时钟", "Clock", "clock", op="time.get"),
            Entry("terminal.restart", "重启终端", "Restart", "confirm", op="reset",
                  args={"what": "restart"}, password=True),
            Entry("terminal.reset", "数据初始化", "Data reset", "confirm", op="reset",
                  args={"what": "data", "confirm": True}, password=True),
        )),
    )),
))

ENTRIES = dict((e.id, e) for e in MENU.walk())

# what each key does on each kind of screen (actions of gateway.lcd.lcd.Lcd)
_LIST = {UP: "up", DOWN: "down", LEFT: "page_up", RIGHT: "page_down", OK: "open",
         CANCEL: "back"}
_PAGES = {UP: "up", DOWN: "down", LEFT: "page_prev", RIGHT: "page_next", OK: "page_next",
          CANCEL: "back"}
_ENTRY = {UP: "char_next", DOWN: "char_prev", LEFT: "cursor_left", RIGHT: "cursor_right",
          OK: "submit", CANCEL: "back"}
KEYMAP = {
    "home": {OK: "open", DOWN: "open", UP: "refresh", LEFT: "refresh", RIGHT: "refresh",
             CANCEL: "refresh"},
    "menu": _LIST,
    "meter_list": _LIST,
    "events": _LIST,
    "params": _LIST,
    "address": _ENTRY,
    "password": _ENTRY,
    "edit": _ENTRY,
    "meter": _PAGES,
    "ports": _PAGES,
    "event": _PAGES,
    "param": {UP: "up", DOWN: "down", LEFT: "up", RIGHT: "down", OK: "open", CANCEL: "back"},
    "terminal": _PAGES,
    "clock": {UP: "up", DOWN: "down", LEFT: "page_prev", RIGHT: "page_next", OK: "open",
              CANCEL: "back"},
    "clock_set": _ENTRY,
    "confirm": {OK: "submit", CANCEL: "back"},
    "message": {OK: "back", CANCEL: "back"},
    "rolling": {},                        # any key wakes the screen
}

# the parameters the LCD can change (after a password), and how they are typed;
# a key the agent does not have (params.get) is not offered
EDITABLE = {
    "terminal.address": "text",
    "uplink.host": "text",
    "uplink.port": "int",
    "plan.realtime_interval_min": "int",
    "freeze.settlement_day": "int",
    "time.tz_offset_min": "int",
    "clock.ntp_server": "text",
    "health.offline_after": "int",
}
CHARSETS = {
    "int": "0123456789-",
    "text": "0123456789abcdefghijklmnopqrstuvwxyz.-_:ABCDEFGHIJKLMNOPQRSTUVWXYZ ",
    "address": "0123456789",
    "password": "0123456789",
}
ADDRESS_DIGITS = 14
PASSWORD_DIGITS = 6

PARAM_LABELS = {
    "terminal.address": ("终端地址", "Terminal address"),
    "uplink.host": ("主站地址", "Master host"),
    "uplink.port": ("主站端口", "Master port"),
    "plan.realtime_interval_min": ("抄表间隔(分)", "Read interval min"),
    "freeze.settlement_day": ("结算日", "Settlement day"),
    "time.tz_offset_min": ("时区(分)", "UTC offset min"),
    "clock.ntp_server": ("对时服务器", "NTP server"),
    "health.offline_after": ("离线判定次数", "Offline after N"),
}

QUANTITIES = {
    "energy.active.import.total": ("正向有功", "Import"),
    "energy.active.import.t1": ("正向尖", "Import T1"),
    "energy.active.import.t2": ("正向峰", "Import T2"),
    "energy.active.import.t3": ("正向平", "Import T3"),
    "energy.active.import.t4": ("正向谷", "Import T4"),
    "energy.active.export.total": ("反向有功", "Export"),
    "voltage.a": ("A相电压", "Voltage A"),
    "voltage.b": ("B相电压", "Voltage B"),
    "voltage.c": ("C相电压", "Voltage C"),
    "current.a": ("A相电流", "Current A"),
    "current.b": ("B相电流", "Current B"),
    "current.c": ("C相电流", "Current C"),
    "power.active.total": ("有功功率", "Power"),
    "volume.total": ("累计流量", "Volume"),
    "heat.energy.total": ("累计热量", "Heat"),
    "heat.power": ("热功率", "Heat power"),
    "flow.rate": ("瞬时流量", "Flow"),
    "temperature.supply": ("供水温度", "Supply temp"),
    "temperature.return": ("回水温度", "Return temp"),
    "meter.datetime": ("表计时钟", "Meter clock"),
    "meter.status": ("状态字", "Status word"),
    "valve.state": ("阀门", "Valve"),
    "relay.state": ("继电器", "Relay"),
}
# the quantity whose daily differences make the 7-day chart, by meter kind
MAIN_QUANTITY = {"electricity": "energy.active.import.total", "water": "volume.total",
                 "gas": "volume.total", "heat": "heat.energy.total"}

EVENTS = {
    "meter_offline": ("表计离线", "Meter offline"),
    "meter_back_online": ("表计恢复", "Meter back"),
    "reading_backwards": ("示值倒走", "Reading backwards"),
    "consumption_abnormal": ("用量异常", "Usage abnormal"),
    "consumption_zero": ("零用量", "Zero usage"),
    "meter_clock_deviation": ("表计时钟偏差", "Meter clock off"),
    "overload": ("过载", "Overload"),
    "valve_fault": ("阀门故障", "Valve fault"),
    "battery_low": ("电池欠压", "Battery low"),
    "tamper": ("开盖", "Tamper"),
    "store_full": ("存储满", "Store full"),
    "outbox_overflow": ("上报溢出", "Outbox overflow"),
    "clock_set": ("终端对时", "Clock set"),
    "power_up": ("终端上电", "Power up"),
    "params_changed": ("参数变更", "Params changed"),
    "meters_changed": ("档案变更", "Meters changed"),
    "login_failed": ("登录失败", "Login failed"),
    "command_rejected": ("命令拒绝", "Command rejected"),
    "upgrade": ("升级", "Upgrade"),
    "line_loss_abnormal": ("线损异常", "Line loss"),
    "value_implausible": ("数据异常", "Implausible value"),
    "bus_unusable": ("通道故障", "Bus unusable"),
    "bus_usable_again": ("通道恢复", "Bus back"),
    "disk_full": ("磁盘满", "Disk full"),
    "user_locked": ("用户锁定", "User locked"),
}
SEVERITY = {"info": ("提示", "info"), "warning": ("告警", "warning"),
            "critical": ("严重", "critical"), "error": ("错误", "error")}
STATES = {"open": ("开", "open"), "closed": ("关", "closed"), "fault": ("故障", "fault"),
          True: ("是", "yes"), False: ("否", "no")}

# every other text a screen prints
TEXT = {
    "address": ("地址", "Addr"),
    "read_today": ("今日抄读", "Read today"),
    "alarms": ("告警", "Alarms"),
    "uplink": ("上行", "Uplink"),
    "online": ("在线", "online"),
    "offline": ("离线", "offline"),
    "ethernet": ("以太", "ETH "),
    "cellular": ("无线", "CELL"),
    "no_channel": ("--", "--"),
    "ok_menu": ("确认键进入菜单", "OK: menu"),
    "current": ("当前数据", "Current values"),
    "freeze": ("冻结数据", "Frozen values"),
    "state": ("状态", "State"),
    "chart": ("近7日用量", "Last 7 days"),
    "daily": ("日冻结", "Daily"),
    "monthly": ("月冻结", "Monthly"),
    "read_at": ("抄读时间", "Read at"),
    "none": ("无数据", "No data"),
    "no_meters": ("无测量点", "No meters"),
    "enter_address": ("输入表地址", "Meter address"),
    "not_found": ("未找到该地址", "Address not found"),
    "keys_entry": ("↑↓改 ←→移 确认", "UD:chg LR:move OK"),
    "port": ("端口", "Port"),
    "success": ("成功率", "Success"),
    "requests": ("请求", "Requests"),
    "timeouts": ("超时", "Timeouts"),
    "queue": ("队列", "Queue"),
    "meters": ("表数", "Meters"),
    "last_ok": ("最后成功", "Last ok"),
    "last_error": ("末次错误", "Last error"),
    "silent": ("离线表", "Silent"),
    "no_events": ("无事件", "No events"),
    "severity": ("级别", "Severity"),
    "meter": ("表计", "Meter"),
    "editable": ("确认键修改", "OK: change"),
    "readonly": ("只读", "Read only"),
    "password": ("请输入密码", "Password"),
    "bad_password": ("密码错误,未执行", "Wrong password"),
    "changed": ("修改成功", "Changed"),
    "unchanged": ("值未变化", "Unchanged"),
    "refused": ("被拒绝", "Refused"),
    "error": ("错误", "Error"),
    "terminal_id": ("终端编号", "Terminal"),
    "firmware": ("软件版本", "Firmware"),
    "store": ("存储", "Store"),
    "clock": ("时钟", "Clock"),
    "drift": ("漂移ppm", "Drift ppm"),
    "last_sync": ("上次校时", "Last sync"),
    "confirm_restart": ("确认重启终端?", "Restart now?"),
    "confirm_reset": ("确认清除全部数据?", "Delete all data?"),
    "ok_cancel": ("确认键执行 取消键返回", "OK: do  ESC: back"),
    "done": ("已执行", "Done"),
    "restarting": ("正在重启", "Restarting"),
    "rolling": ("轮显", "Rolling"),
    "value": ("值", "Value"),
    "default": ("默认", "Default"),
    "set_clock": ("设置终端时钟", "Set the clock"),
    "no_time": ("时间无效", "Not a valid time"),
    "clock_done": ("对时成功", "Clock set"),
    "restart_needed": ("重启后生效", "After a restart"),
}

WEEKDAYS = (("一", "Mon"), ("二", "Tue"), ("三", "Wed"), ("四", "Thu"), ("五", "Fri"),
            ("六", "Sat"), ("日", "Sun"))


def all_labels():
    """Every text of the menu model, both languages (for the font test)."""
    out = []
    for e in MENU.walk():
        out.extend(e.label)
    for table in (PARAM_LABELS, QUANTITIES, EVENTS, SEVERITY, STATES, TEXT):
        for zh, en in table.values():
            out.extend((zh, en))
    for zh, en in WEEKDAYS:
        out.extend((zh, en, "星期" + zh))
    for cs in CHARSETS.values():
        out.append(cs)
    return out
