"""M-Bus code tables (EN 13757-3:2013 clause 6 and annexes, EN 13757-2 clause 5).

Declarative rows only; the lookup dicts at the bottom are built from them at
import.  Every unit here is already the *canonical* unit of the record (see
protocols/quantities.py): a VIF's unit is converted only by an exact power of
ten (Wh*10^n -> kWh, litre -> m3, kg -> t, W -> kW, J -> GJ, MWh -> kWh); when
no power of ten reaches the canonical unit the meter's own unit stays
(GJ, GJ/h, m3/min, m3/s, degF, and the time units s/min/h/d: an operating time
in days is reported in ``d``, never multiplied out).

Value-information rows: (first code, last code, label, unit, exponent of the
first code, quantity, kind).  The exponent grows by one per code inside a
group (VIF 10H..17H: 10^-6 .. 10^1 m3); rows whose unit changes per code
(s/min/h/d) are written one code a row.  ``label`` is the libmbus wording
(its normalised XML "Quantity"), kept so that records can be compared with
libmbus output.  ``quantity`` is our canonical name; "@energy" and "@power"
are resolved with the medium of the header (electricity, heat or cooling
meter), see mbus_records.  ``kind``: "n" number, "u" unsigned number (a bus
address: DIF 01 with 80H..FAH is not negative), "date" (type G/F/I by
length), "id" (fabrication/identification number, shown as digits).
"""

DEG_C = "\u00b0C"
DEG_F = "\u00b0F"
M3 = "m\u00b3"

# Primary VIF table (EN 13757-3 table 10), VIF without the extension bit.
PRIMARY_VIF = (
    (0x00, 0x07, "Energy", "kWh", -6, "@energy", "n"),
    (0x08, 0x0F, "Energy", "GJ", -9, "@energy", "n"),
    (0x10, 0x17, "Volume", M3, -6, "volume.total", "n"),
    (0x18, 0x1F, "Mass", "t", -6, "mass.total", "n"),
    (0x20, 0x20, "On time", "s", 0, "time.on", "n"),
    (0x21, 0x21, "On time", "min", 0, "time.on", "n"),
    (0x22, 0x22, "On time", "h", 0, "time.on", "n"),
    (0x23, 0x23, "On time", "d", 0, "time.on", "n"),
    (0x24, 0x24, "Operating time", "s", 0, "time.operating", "n"),
    (0x25, 0x25, "Operating time", "min", 0, "time.operating", "n"),
    (0x26, 0x26, "Operating time", "h", 0, "time.operating", "n"),
    (0x27, 0x27, "Operating time", "d", 0, "time.operating", "n"),
    (0x28, 0x2F, "Power", "kW", -6, "@power", "n"),
    (0x30, 0x37, "Power", "GJ/h", -9, "@power", "n"),
    (0x38, 0x3F, "Volume flow", M3 + "/h", -6, "flow.rate", "n"),
    (0x40, 0x47, "Volume flow", M3 + "/min", -7, "flow.rate", "n"),
    (0x48, 0x4F, "Volume flow", M3 + "/s", -9, "flow.rate", "n"),
    (0x50, 0x57, "Mass flow", "kg/h", -3, "mass.flow", "n"),
    (0x58, 0x5B, "Flow temperature", DEG_C, -3, "temperature.supply", "n"),
    (0x5C, 0x5F, "Return temperature", DEG_C, -3, "temperature.return", "n"),
    (0x60, 0x63, "Temperature difference", "K", -3, "temperature.difference", "n"),
    (0x64, 0x67, "External temperature", DEG_C, -3, "temperature.external", "n"),
    (0x68, 0x6B, "Pressure", "bar", -3, "pressure", "n"),
    (0x6C, 0x6C, "Time point (date)", "", 0, "meter.date", "date"),
    (0x6D, 0x6D, "Time point (date & time)", "", 0, "meter.datetime", "date"),
    (0x6E, 0x6E, "H.C.A.", "", 0, "hca.units", "n"),
    (0x6F, 0x6F, "Reserved", "", 0, None, "n"),
    (0x70, 0x70, "Averaging Duration", "s", 0, None, "n"),
    (0x71, 0x71, "Averaging Duration", "min", 0, None, "n"),
    (0x72, 0x72, "Averaging Duration", "h", 0, None, "n"),
    (0x73, 0x73, "Averaging Duration", "d", 0, None, "n"),
    (0x74, 0x74, "Actuality Duration", "s", 0, None, "n"),
    (0x75, 0x75, "Actuality Duration", "min", 0, None, "n"),
    (0x76, 0x76, "Actuality Duration", "h", 0, None, "n"),
    (0x77, 0x77, "Actuality Duration", "d", 0, None, "n"),
    (0x78, 0x78, "Fabrication No", "", 0, "meter.fabrication_no", "id"),
    (0x79, 0x79, "(Enhanced) Identification", "", 0, "meter.number", "id"),
    (0x7A, 0x7A, "Bus Address", "", 0, "meter.address", "u"),
    (0x7B, 0x7B, "Reserved", "", 0, None, "n"),
    (0x7D, 0x7D, "Reserved", "", 0, None, "n"),
    (0x7E, 0x7E, "Any VIF", "", 0, None, "n"),
    (0x7F, 0x7F, "Manufacturer specific", "", 0, None, "n"),
)

# First extension table, VIFE after VIF FDH (EN 13757-3 table 14).
FD_VIF = (
    (0x00, 0x03, "Credit", "", -3, None, "n"),
    (0x04, 0x07, "Debit", "", -3, None, "n"),
    (0x08, 0x08, "Access Number (transmission count)", "", 0, None, "n"),
    (0x09, 0x09, "Medium", "", 0, None, "n"),
    (0x0A, 0x0A, "Manufacturer", "", 0, None, "n"),
    (0x0B, 0x0B, "Parameter set identification", "", 0, None, "n"),
    (0x0C, 0x0C, "Model / Version", "", 0, None, "n"),
    (0x0D, 0x0D, "Hardware version", "", 0, None, "n"),
    (0x0E, 0x0E, "Firmware version", "", 0, "meter.firmware_version", "n"),
    (0x0F, 0x0F, "Software version", "", 0, "meter.software_version", "n"),
    (0x10, 0x10, "Customer location", "", 0, None, "n"),
    (0x11, 0x11, "Customer", "", 0, None, "n"),
    (0x12, 0x12, "Access Code User", "", 0, None, "n"),
    (0x13, 0x13, "Access Code Operator", "", 0, None, "n"),
    (0x14, 0x14, "Access Code System Operator", "", 0, None, "n"),
    (0x15, 0x15, "Access Code Developer", "", 0, None, "n"),
    (0x16, 0x16, "Password", "", 0, None, "n"),
    (0x17, 0x17, "Error flags", "", 0, "meter.status", "n"),
    (0x18, 0x18, "Error mask", "", 0, None, "n"),
    (0x1A, 0x1A, "Digital Output", "", 0, None, "n"),
    (0x1B, 0x1B, "Digital Input", "", 0, None, "n"),
    (0x1C, 0x1C, "Baudrate", "Bd", 0, None, "n"),
    (0x1D, 0x1D, "Response delay time", "bit times", 0, None, "n"),
    (0x1E, 0x1E, "Retry", "", 0, None, "n"),
    (0x20, 0x20, "First storage # for cyclic storage", "", 0, None, "n"),
    (0x21, 0x21, "Last storage # for cyclic storage", "", 0, None, "n"),
    (0x22, 0x22, "Size of storage block", "", 0, None, "n"),
    (0x24, 0x24, "Storage interval", "s", 0, None, "n"),
    (0x25, 0x25, "Storage interval", "min", 0, None, "n"),
    (0x26, 0x26, "Storage interval", "h", 0, None, "n"),
    (0x27, 0x27, "Storage interval", "d", 0, None, "n"),
    (0x28, 0x28, "Storage interval", "month", 0, None, "n"),
    (0x29, 0x29, "Storage interval", "year", 0, None, "n"),
    (0x2C, 0x2C, "Duration since last readout", "s", 0, None, "n"),
    (0x2D, 0x2D, "Duration since last readout", "min", 0, None, "n"),
    (0x2E, 0x2E, "Duration since last readout", "h", 0, None, "n"),
    (0x2F, 0x2F, "Duration since last readout", "d", 0, None, "n"),
    (0x30, 0x30, "Start (date/time) of tariff", "", 0, None, "date"),
    (0x31, 0x31, "Duration of tariff", "min", 0, None, "n"),
    (0x32, 0x32, "Duration of tariff", "h", 0, None, "n"),
    (0x33, 0x33, "Duration of tariff", "d", 0, None, "n"),
    (0x34, 0x34, "Period of tariff", "s", 0, None, "n"),
    (0x35, 0x35, "Period of tariff", "min", 0, None, "n"),
    (0x36, 0x36, "Period of tariff", "h", 0, None, "n"),
    (0x37, 0x37, "Period of tariff", "d", 0, None, "n"),
    (0x38, 0x38, "Period of tariff", "month", 0, None, "n"),
    (0x39, 0x39, "Period of tariff", "year", 0, None, "n"),
    (0x3A, 0x3A, "Dimensionless", "", 0, None, "n"),
    (0x40, 0x4F, "Voltage", "V", -9, "voltage", "n"),
    (0x50, 0x5F, "Current", "A", -12, "current", "n"),
    (0x60, 0x60, "Reset counter", "", 0, None, "n"),
    (0x61, 0x61, "Cumulation counter", "", 0, None, "n"),
    (0x62, 0x62, "Control signal", "", 0, None, "n"),
    (0x63, 0x63, "Day of week", "", 0, None, "n"),
    (0x64, 0x64, "Week number", "", 0, None, "n"),
    (0x65, 0x65, "Time point of day change", "", 0, None, "n"),
    (0x66, 0x66, "State of parameter activation", "", 0, None, "n"),
    (0x67, 0x67, "Special supplier information", "", 0, None, "n"),
    (0x68, 0x68, "Duration since last cumulation", "h", 0, None, "n"),
    (0x69, 0x69, "Duration since last cumulation", "d", 0, None, "n"),
    (0x6A, 0x6A, "Duration since last cumulation", "month", 0, None, "n"),
    (0x6B, 0x6B, "Duration since last cumulation", "year", 0, None, "n"),
    (0x6C, 0x6C, "Operating time battery", "h", 0, None, "n"),
    (0x6D, 0x6D, "Operating time battery", "d", 0, None, "n"),
    (0x6E, 0x6E, "Operating time battery", "month", 0, None, "n"),
    (0x6F, 0x6F, "Operating time battery", "year", 0, None, "n"),
    (0x70, 0x70, "Date and time of battery change", "", 0, None, "date"),
    (0x71, 0x71, "RF level", "dBm", 0, "rf.level", "n"),
    (0x72, 0x72, "Daylight saving", "", 0, None, "n"),
    (0x73, 0x73, "Listening window management", "", 0, None, "n"),
    (0x74, 0x74, "Remaining battery life", "d", 0, "battery.remaining", "n"),
    (0x75, 0x75, "Number of times the meter was stopped", "", 0, None, "n"),
    (0x76, 0x76, "Manufacturer specific data container", "", 0, None, "n"),
)

# Second extension table, VIFE after VIF FBH (EN 13757-3 table 12).
FB_VIF = (
    (0x00, 0x01, "Energy", "kWh", 2, "@energy", "n"),
    (0x08, 0x09, "Energy", "GJ", -1, "@energy", "n"),
    (0x10, 0x11, "Volume", M3, 2, "volume.total", "n"),
    (0x18, 0x19, "Mass", "t", 2, "mass.total", "n"),
    (0x1A, 0x1B, "Relative humidity", "%", -1, "humidity.relative", "n"),
    (0x21, 0x21, "Volume", "ft\u00b3", -1, None, "n"),
    (0x22, 0x23, "Volume", "US gal", -1, None, "n"),
    (0x24, 0x24, "Volume flow", "US gal/min", -3, None, "n"),
    (0x25, 0x25, "Volume flow", "US gal/min", 0, None, "n"),
    (0x26, 0x26, "Volume flow", "US gal/h", 0, None, "n"),
    (0x28, 0x29, "Power", "kW", 2, "@power", "n"),
    (0x30, 0x31, "Power", "GJ/h", -1, "@power", "n"),
    (0x58, 0x5B, "Flow temperature", DEG_F, -3, "temperature.supply", "n"),
    (0x5C, 0x5F, "Return temperature", DEG_F, -3, "temperature.return", "n"),
    (0x60, 0x63, "Temperature difference", DEG_F, -3, None, "n"),
    (0x64, 0x67, "External temperature", DEG_F, -3, "temperature.external", "n"),
    (0x70, 0x73, "Cold / Warm Temperature Limit", DEG_F, -3, None, "n"),
    (0x74, 0x77, "Cold / Warm Temperature Limit", DEG_C, -3, None, "n"),
    (0x78, 0x7F, "Cumul count max power", "kW", -6, None, "n"),
)

# Combinable (orthogonal) VIFE after a VIF (EN 13757-3 table 15 and, for
# 00H..1FH slave to master, the record error codes of table 16).
# (first, last, name); bit 7 (extension) is masked off before lookup.
ORTHOGONAL_VIFE = (
    (0x00, 0x00, "no error"),
    (0x01, 0x01, "too many DIFEs"),
    (0x02, 0x02, "storage number not implemented"),
    (0x03, 0x03, "unit number not implemented"),
    (0x04, 0x04, "tariff number not implemented"),
    (0x05, 0x05, "function not implemented"),
    (0x06, 0x06, "data class not implemented"),
    (0x07, 0x07, "data size not implemented"),
    (0x0B, 0x0B, "too many VIFEs"),
    (0x0C, 0x0C, "illegal VIF-group"),
    (0x0D, 0x0D, "illegal VIF-exponent"),
    (0x0E, 0x0E, "VIF/DIF mismatch"),
    (0x0F, 0x0F, "unimplemented action"),
    (0x15, 0x15, "no data available (undefined value)"),
    (0x16, 0x16, "data overflow"),
    (0x17, 0x17, "data underflow"),
    (0x18, 0x18, "data error"),
    (0x1C, 0x1C, "premature end of record"),
    (0x20, 0x20, "per second"),
    (0x21, 0x21, "per minute"),
    (0x22, 0x22, "per hour"),
    (0x23, 0x23, "per day"),
    (0x24, 0x24, "per week"),
    (0x25, 0x25, "per month"),
    (0x26, 0x26, "per year"),
    (0x27, 0x27, "per revolution / measurement"),
    (0x28, 0x29, "increment per input pulse"),
    (0x2A, 0x2B, "increment per output pulse"),
    (0x2C, 0x2C, "per litre"),
    (0x2D, 0x2D, "per m3"),
    (0x2E, 0x2E, "per kg"),
    (0x2F, 0x2F, "per K"),
    (0x30, 0x30, "per kWh"),
    (0x31, 0x31, "per GJ"),
    (0x32, 0x32, "per kW"),
    (0x33, 0x33, "per (K*l)"),
    (0x34, 0x34, "per V"),
    (0x35, 0x35, "per A"),
    (0x36, 0x36, "multiplied by s"),
    (0x37, 0x37, "multiplied by s/V"),
    (0x38, 0x38, "multiplied by s/A"),
    (0x39, 0x39, "start date(/time) of"),
    (0x3A, 0x3A, "uncorrected unit"),
    (0x3B, 0x3B, "accumulation only if positive contributions"),
    (0x3C, 0x3C, "accumulation of abs value only if negative contributions"),
    (0x40, 0x40, "lower limit value"),
    (0x48, 0x48, "upper limit value"),
    (0x41, 0x41, "number of exceeds of lower limit"),
    (0x49, 0x49, "number of exceeds of upper limit"),
    (0x42, 0x43, "date(/time) of first lower limit exceed"),
    (0x46, 0x47, "date(/time) of last lower limit exceed"),
    (0x4A, 0x4B, "date(/time) of first upper limit exceed"),
    (0x4E, 0x4F, "date(/time) of last upper limit exceed"),
    (0x50, 0x5F, "duration of limit exceed"),
    (0x60, 0x67, "duration of d"),
    (0x6A, 0x6B, "date(/time) of first"),
    (0x6E, 0x6F, "date(/time) of last"),
    (0x70, 0x77, "multiplicative correction factor"),
    (0x78, 0x7B, "additive correction constant"),
    (0x7D, 0x7D, "multiplicative correction factor 1000"),
    (0x7E, 0x7E, "future value"),
    (0x7F, 0x7F, "manufacturer specific"),
)

# Combinable VIFEs after which the record still is what its VIF says
# (the canonical quantity is kept); any other VIFE drops the quantity.
NEUTRAL_VIFE = (0x00, 0x3B, 0x3C, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7D)

# Medium / device type byte of the variable data header (EN 13757-3 table 3);
# names as libmbus prints them.
MEDIUM = (
    (0x00, "Other"),
    (0x01, "Oil"),
    (0x02, "Electricity"),
    (0x03, "Gas"),
    (0x04, "Heat: Outlet"),
    (0x05, "Steam"),
    (0x06, "Warm water (30-90\u00b0C)"),
    (0x07, "Water"),
    (0x08, "Heat Cost Allocator"),
    (0x09, "Compressed Air"),
    (0x0A, "Cooling load meter: Outlet"),
    (0x0B, "Cooling load meter: Inlet"),
    (0x0C, "Heat: Inlet"),
    (0x0D, "Heat / Cooling load meter"),
    (0x0E, "Bus/System"),
    (0x0F, "Unknown Medium"),
    (0x14, "Calorific value"),
    (0x15, "Hot water (>90\u00b0C)"),
    (0x16, "Cold water"),
    (0x17, "Dual water"),
    (0x18, "Pressure"),
    (0x19, "A/D Converter"),
    (0x1A, "Smoke detector"),
    (0x1B, "Room sensor"),
    (0x1C, "Gas detector"),
    (0x20, "Breaker: Electricity"),
    (0x21, "Valve: Gas or water"),
    (0x25, "Customer unit: Display device"),
    (0x28, "Waste water"),
    (0x29, "Garbage"),
    (0x2A, "Carbon dioxide"),
    (0x31, "Communication controller"),
    (0x32, "Unidirectional repeater"),
    (0x33, "Bidirectional repeater"),
    (0x36, "Radio converter: system side"),
    (0x37, "Radio converter: meter side"),
)

# Media whose energy/power records are heat, cooling or electricity.
HEAT_MEDIA = (0x04, 0x0C, 0x0D)
COOLING_MEDIA = (0x0A, 0x0B)
ELECTRICITY_MEDIA = (0x02, 0x20)

# Fixed data structure (CI 73H/77H, EN 13757-3 annex: EN 1434-3:1997 format).
# Medium: 4 bits, two from the top of each unit byte.
FIXED_MEDIUM = (
    (0x0, "Other"), (0x1, "Oil"), (0x2, "Electricity"), (0x3, "Gas"),
    (0x4, "Heat"), (0x5, "Steam"), (0x6, "Hot Water"), (0x7, "Water"),
    (0x8, "H.C.A."), (0x9, "Reserved"), (0xA, "Gas Mode 2"), (0xB, "Heat Mode 2"),
    (0xC, "Hot Water Mode 2"), (0xD, "Water Mode 2"), (0xE, "H.C.A. Mode 2"),
    (0xF, "Reserved"),
)

# Unit code (low 6 bits of each unit byte): (code, label, unit, exponent,
# quantity).  38H is 10^-3 degC (the standard's "degC 10^-3"); 3EH means
# "same unit as counter 1, historic value" and is resolved in mbus_records.
FIXED_UNIT = (
    (0x00, "Time", "h,m,s", 0, None),
    (0x01, "Time", "D,M,Y", 0, None),
    (0x02, "Energy", "kWh", -3, "@energy"),
    (0x03, "Energy", "kWh", -2, "@energy"),
    (0x04, "Energy", "kWh", -1, "@energy"),
    (0x05, "Energy", "kWh", 0, "@energy"),
    (0x06, "Energy", "kWh", 1, "@energy"),
    (0x07, "Energy", "kWh", 2, "@energy"),
    (0x08, "Energy", "kWh", 3, "@energy"),
    (0x09, "Energy", "kWh", 4, "@energy"),
    (0x0A, "Energy", "kWh", 5, "@energy"),
    (0x0B, "Energy", "GJ", -6, "@energy"),
    (0x0C, "Energy", "GJ", -5, "@energy"),
    (0x0D, "Energy", "GJ", -4, "@energy"),
    (0x0E, "Energy", "GJ", -3, "@energy"),
    (0x0F, "Energy", "GJ", -2, "@energy"),
    (0x10, "Energy", "GJ", -1, "@energy"),
    (0x11, "Energy", "GJ", 0, "@energy"),
    (0x12, "Energy", "GJ", 1, "@energy"),
    (0x13, "Energy", "GJ", 2, "@energy"),
    (0x14, "Power", "kW", -3, "@power"),
    (0x15, "Power", "kW", -2, "@power"),
    (0x16, "Power", "kW", -1, "@power"),
    (0x17, "Power", "kW", 0, "@power"),
    (0x18, "Power", "kW", 1, "@power"),
    (0x19, "Power", "kW", 2, "@power"),
    (0x1A, "Power", "kW", 3, "@power"),
    (0x1B, "Power", "kW", 4, "@power"),
    (0x1C, "Power", "kW", 5, "@power"),
    (0x1D, "Power", "GJ/h", -6, "@power"),
    (0x1E, "Power", "GJ/h", -5, "@power"),
    (0x1F, "Power", "GJ/h", -4, "@power"),
    (0x20, "Power", "GJ/h", -3, "@power"),
    (0x21, "Power", "GJ/h", -2, "@power"),
    (0x22, "Power", "GJ/h", -1, "@power"),
    (0x23, "Power", "GJ/h", 0, "@power"),
    (0x24, "Power", "GJ/h", 1, "@power"),
    (0x25, "Power", "GJ/h", 2, "@power"),
    (0x26, "Volume", M3, -6, "volume.total"),
    (0x27, "Volume", M3, -5, "volume.total"),
    (0x28, "Volume", M3, -4, "volume.total"),
    (0x29, "Volume", M3, -3, "volume.total"),
    (0x2A, "Volume", M3, -2, "volume.total"),
    (0x2B, "Volume", M3, -1, "volume.total"),
    (0x2C, "Volume", M3, 0, "volume.total"),
    (0x2D, "Volume", M3, 1, "volume.total"),
    (0x2E, "Volume", M3, 2, "volume.total"),
    (0x2F, "Volume flow", M3 + "/h", -6, "flow.rate"),
    (0x30, "Volume flow", M3 + "/h", -5, "flow.rate"),
    (0x31, "Volume flow", M3 + "/h", -4, "flow.rate"),
    (0x32, "Volume flow", M3 + "/h", -3, "flow.rate"),
    (0x33, "Volume flow", M3 + "/h", -2, "flow.rate"),
    (0x34, "Volume flow", M3 + "/h", -1, "flow.rate"),
    (0x35, "Volume flow", M3 + "/h", 0, "flow.rate"),
    (0x36, "Volume flow", M3 + "/h", 1, "flow.rate"),
    (0x37, "Volume flow", M3 + "/h", 2, "flow.rate"),
    (0x38, "Temperature", DEG_C, -3, None),
    (0x39, "H.C.A.", "", 0, "hca.units"),
    (0x3F, "No units", "", 0, None),
)

# CI 70H application error codes (EN 13757-3 table 21 / libmbus names).
APPLICATION_ERRORS = (
    (0x00, "Unspecified error"),
    (0x01, "Unimplemented CI-Field"),
    (0x02, "Buffer too long, truncated"),
    (0x03, "Too many records"),
    (0x04, "Premature end of record"),
    (0x05, "More than 10 DIFE\u00b4s"),
    (0x06, "More than 10 VIFE\u00b4s"),
    (0x07, "Reserved"),
    (0x08, "Application busy"),
    (0x09, "Too many readouts"),
)

# Baud rates of the CI codes B8H..BFH (EN 13757-3 table 6).
BAUD_CI = (
    (0xB8, 300), (0xB9, 600), (0xBA, 1200), (0xBB, 2400),
    (0xBC, 4800), (0xBD, 9600), (0xBE, 19200), (0xBF, 38400),
)

# Link-layer function of the C field, low nibble with PRM (EN 13757-2 5.4):
# (C & 4FH, name).
C_FUNCTIONS = (
    (0x40, "SND_NKE"),
    (0x43, "SND_UD"),
    (0x4A, "REQ_UD1"),
    (0x4B, "REQ_UD2"),
    (0x08, "RSP_UD"),
    (0x00, "ACK"),
)

# Application state, bits 1..0 of the status byte (EN 13757-3 table 4).
STATUS_APPLICATION = ("ok", "busy", "error", "alarm")


def _expand(rows):
    """{code: (label, unit, exponent, quantity, kind)} from grouped rows."""
    out = {}
    for lo, hi, label, unit, exp, quantity, kind in rows:
        for code in range(lo, hi + 1):
            out[code] = (label, unit, exp + code - lo, quantity, kind)
    return out


PRIMARY = _expand(PRIMARY_VIF)
FD = _expand(FD_VIF)
FB = _expand(FB_VIF)


def _names(rows):
    out = {}
    for lo, hi, name in rows:
        for code in range(lo, hi + 1):
            out[code] = name
    return out


VIFE_NAMES = _names(ORTHOGONAL_VIFE)
MEDIUM_NAMES = dict(MEDIUM)

# Medium -> the archive kind of a meter of that medium (others: no kind of ours)
MEDIUM_KINDS = ((0x02, "electricity"), (0x03, "gas"), (0x04, "heat"), (0x06, "water"),
                (0x07, "water"), (0x0A, "heat"), (0x0B, "heat"), (0x0C, "heat"),
                (0x0D, "heat"), (0x15, "water"), (0x16, "water"))


def kind_of_medium(medium):
    """The archive kind (electricity, gas, heat, water) of a medium byte, or None."""
    for code, kind in MEDIUM_KINDS:
        if code == medium:
            return kind
    return None
FIXED_MEDIUM_NAMES = dict(FIXED_MEDIUM)
FIXED_UNITS = dict((row[0], row[1:]) for row in FIXED_UNIT)
ERROR_NAMES = dict(APPLICATION_ERRORS)
BAUD_OF_CI = dict(BAUD_CI)
CI_OF_BAUD = dict((b, ci) for ci, b in BAUD_CI)
C_FUNCTION_NAMES = dict(C_FUNCTIONS)

# ------------------------------------------ link-layer C field (EN 13757-2) ---
# C with the FCB/FCV (master) or ACD/DFC (slave) bits 5..4 cleared.

LINK_FUNCTIONS = (
    (0x40, "SND_NKE"),
    (0x43, "SND_UD"),
    (0x4A, "REQ_UD1"),
    (0x4B, "REQ_UD2"),
    (0x08, "RSP_UD"),
)
LINK_FUNCTION_NAMES = dict(LINK_FUNCTIONS)
